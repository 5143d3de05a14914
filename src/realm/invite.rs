//! An approver inviting a domain into an invite-only realm: the change to realm.yaml.

use anyhow::Result;

use crate::error::BadInput;
use crate::realm::change::Change;
use crate::realm::snapshot::Snapshot;

/// The commit that invites `name` on `tip`, made by `email` from domain `from` (trailers are
/// the caller's); `None` when `name` is invited already. Refused unless `email` is an
/// approver, and for a name that is a domain already.
pub fn plan_invite(tip: &Snapshot, from: &str, name: &str, email: &str) -> Result<Option<Change>> {
    let governance = &tip.realm.governance;
    governance.require_approver(email, &tip.realm.name)?;
    if tip.domains.contains_key(name) {
        return Err(BadInput::new(
            format!("`{name}` is already a domain of realm `{}`", tip.realm.name),
            "nothing to invite",
        )
        .into());
    }
    if governance.invited.iter().any(|d| d == name) {
        return Ok(None);
    }
    let mut realm_file = tip.realm.clone();
    realm_file.governance.invited.push(name.to_owned());
    realm_file.governance.invited.sort();
    let mut change = Change::new(format!("{from}: invite {name} to realm {}", tip.realm.name));
    change.put_yaml("realm.yaml", &realm_file);
    Ok(Some(change))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Refusal;
    use crate::realm::model::RealmFile;
    use crate::realm::snapshot::memory::Files;

    fn tip(files: &[(&str, &str)]) -> Snapshot {
        Snapshot::load(&Files::of(files), "r").unwrap()
    }

    #[test]
    fn an_approver_invites_a_name_once() {
        let tip = tip(&[
            (
                "realm.yaml",
                "name: r\ngovernance: {admission: invite-only, approvers: [boss@x], invited: [z]}\n",
            ),
            ("domains/a/domain.yaml", "name: a\nmaintainers: [boss@x]\n"),
        ]);
        let change = plan_invite(&tip, "a", "b", "Boss@x").unwrap().unwrap();
        assert_eq!(change.subject, "a: invite b to realm r");
        let realm: RealmFile =
            serde_yaml::from_slice(change.edits["realm.yaml"].as_deref().unwrap()).unwrap();
        assert_eq!(realm.governance.invited, ["b", "z"]);
        assert!(plan_invite(&tip, "a", "z", "boss@x").unwrap().is_none());
        let taken = plan_invite(&tip, "a", "a", "boss@x").unwrap_err();
        assert!(taken.is::<BadInput>(), "{taken}");
        let not_approver = plan_invite(&tip, "a", "b", "a@x").unwrap_err();
        assert!(not_approver.is::<Refusal>(), "{not_approver}");
    }
}
