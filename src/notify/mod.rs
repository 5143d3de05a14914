//! Telling consumers about new export versions in their own issue trackers.
