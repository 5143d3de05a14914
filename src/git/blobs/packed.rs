//! Many blobs (or trees) read from this repository's packs at once, each pack entry inflated
//! once.
//!
//! Reading blobs one by one through the object database resolves each delta chain from its
//! base again (its cache keeps few objects, and never a chain's bases), so a packed tree of
//! similar files inflates each entry several times over. Here the blobs wanted and every base
//! their chains need are gathered first (from entry headers, without inflating), then each
//! chain's tree is walked from its base, applying each delta to its base's bytes while they
//! are at hand: one inflate per entry, on every core.
//!
//! Anything this does not handle (an object in no pack of the repository, a base outside its
//! pack, an entry it cannot decode) is left to the caller, which reads it as before and reports
//! what is wrong.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;
use gix::odb::pack;
use pack::data::entry::Header;

/// The packs of an object directory, their indexes mapped.
pub(super) struct Packs {
    bundles: Vec<pack::Bundle>,
}

/// No node, file or child: the end of a list.
const NONE: u32 = u32::MAX;

/// An entry the walk reads: an object wanted, or a base of one. Its children and files are
/// linked lists through the plan's nodes and files, so planning allocates nothing per entry.
struct Node {
    /// Pack offset of the entry.
    offset: u64,
    /// Where the entry's compressed data starts, and its inflated size (of the object, or of
    /// the delta instructions).
    data_offset: u64,
    size: u64,
    /// Whether it is a full object of the kind wanted (roots only: a delta's kind is its
    /// root's).
    full: bool,
    /// The first delta on this entry, and the next delta on this one's base.
    first_child: u32,
    next_sibling: u32,
    /// The first file (index into the caller's list) whose blob this entry is; the others
    /// follow in [`Plans::next_file`].
    first_file: u32,
}

/// The walk over one pack: its nodes, and the roots (full objects) to start from.
struct Plan {
    bundle: usize,
    nodes: Vec<Node>,
    roots: Vec<u32>,
}

/// The walks over every pack, and the next file whose blob is the same entry, per file.
struct Plans {
    plans: Vec<Plan>,
    next_file: Vec<u32>,
}

/// What reading one wanted file's blob came to.
pub(super) enum Packed<T> {
    Mapped(T),
    /// Larger than the limit: not read.
    TooLarge,
}

impl Packs {
    /// The packs under `objects/pack`; one that does not open is left out (its objects go to
    /// the object database, which says what is wrong with it).
    pub(super) fn open(objects: &Path, hash: gix::hash::Kind) -> Packs {
        let mut indexes: Vec<_> = std::fs::read_dir(objects.join("pack"))
            .map(|dir| {
                dir.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                    .collect()
            })
            .unwrap_or_default();
        indexes.sort();
        Packs {
            bundles: indexes
                .iter()
                .filter_map(|idx| pack::Bundle::at(idx, hash).ok())
                .collect(),
        }
    }

    /// Read the objects `ids` of `kind` (blobs, one per file, or trees) that these packs
    /// hold, on up to `threads` threads, and map each with `f`. Returns, per id, `None` where
    /// the packs could not serve it (the caller reads it otherwise), and what `outside` made
    /// of the ids no pack holds (loose objects, alternates): it runs beside the packs' walk
    /// when they are many, so that reading them does not wait for it.
    pub(super) fn map<T: Send, R: Send>(
        &self,
        kind: gix::objs::Kind,
        ids: &[&ObjectId],
        max_size: u64,
        threads: usize,
        f: &(impl Fn(usize, &[u8]) -> T + Sync),
        outside: impl FnOnce(&[usize]) -> R + Send,
    ) -> (Vec<Option<Packed<T>>>, R) {
        let out: Vec<Option<Packed<T>>> = (0..ids.len()).map(|_| None).collect();
        // Files and entries are numbered in 32 bits.
        if self.bundles.is_empty() || ids.len() >= NONE as usize / 2 {
            let all: Vec<usize> = (0..ids.len()).collect();
            return (out, outside(&all));
        }
        let located = self.locate(kind, ids, threads);
        let unheld: Vec<usize> = (0..ids.len()).filter(|&i| located[i].is_none()).collect();
        if threads == 1 || unheld.len() < 256 {
            let out = self.read_located(kind, located, max_size, threads, f, out);
            return (out, outside(&unheld));
        }
        std::thread::scope(|scope| {
            let beside = scope.spawn(|| outside(&unheld));
            let out = self.read_located(kind, located, max_size, threads, f, out);
            (out, beside.join().expect("a detection thread panicked"))
        })
    }

    /// Link the entries `located` (one per id) and walk them, on up to `threads` threads,
    /// filling `out`.
    fn read_located<T: Send>(
        &self,
        kind: gix::objs::Kind,
        located: Vec<Option<(u32, Node, Base)>>,
        max_size: u64,
        threads: usize,
        f: &(impl Fn(usize, &[u8]) -> T + Sync),
        mut out: Vec<Option<Packed<T>>>,
    ) -> Vec<Option<Packed<T>>> {
        let plans = self.link(kind, located, out.len());
        let mut work: Vec<(usize, u32)> = plans
            .plans
            .iter()
            .enumerate()
            .flat_map(|(p, plan)| plan.roots.iter().map(move |&r| (p, r)))
            .collect();
        // The heaviest chains first, so that no thread is left with a long one at the end: a
        // few large generated files, each a delta of the last, were a fifth of a small run.
        work.sort_by_cached_key(|&(p, root)| std::cmp::Reverse(plans.plans[p].weight(root)));
        let next = AtomicUsize::new(0);
        let run = || {
            let mut walker = Walker {
                max_size,
                ..Walker::default()
            };
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(p, root)) = work.get(i) else { break };
                let plan = &plans.plans[p];
                walker.walk(
                    &self.bundles[plan.bundle].pack,
                    &plans,
                    plan,
                    root,
                    f,
                    &mut done,
                );
            }
            done
        };
        let threads = threads.min(work.len()).max(1);
        let results: Vec<Vec<(usize, Packed<T>)>> = if threads == 1 {
            vec![run()]
        } else {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads).map(|_| scope.spawn(run)).collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("a detection thread panicked"))
                    .collect()
            })
        };
        for (file, packed) in results.into_iter().flatten() {
            out[file] = Some(packed);
        }
        out
    }

    /// Per id, its pack, its entry as a node, and where its base is; `None` when no pack
    /// holds it. Finding each in the indexes and decoding its entry's header, the bulk of
    /// planning, runs on every core.
    fn locate(
        &self,
        kind: gix::objs::Kind,
        ids: &[&ObjectId],
        threads: usize,
    ) -> Vec<Option<(u32, Node, Base)>> {
        on_threads(ids, threads, |id| {
            let (b, index) = self
                .bundles
                .iter()
                .enumerate()
                .find_map(|(b, bundle)| Some((b, bundle.index.lookup(id)?)))?;
            let bundle = &self.bundles[b];
            let offset = bundle.index.pack_offset_at_index(index);
            let entry = bundle.pack.entry(offset).ok()?;
            Some((
                b as u32,
                Node::of(offset, &entry, kind),
                Base::of(bundle, offset, &entry.header, kind),
            ))
        })
    }

    /// Per pack, the entries the `files` wanted (as [`Packs::locate`] found them) need,
    /// linked base to delta. An object whose chain leaves its pack or does not parse is linked
    /// to no full object, and so left out. Only the linking, and the bases no wanted object
    /// is, are done here.
    fn link(
        &self,
        kind: gix::objs::Kind,
        located: Vec<Option<(u32, Node, Base)>>,
        files: usize,
    ) -> Plans {
        let mut plans = Plans {
            plans: Vec::new(),
            next_file: vec![NONE; files],
        };
        // Node by pack offset, per plan.
        let mut by_offset: Vec<HashMap<u64, u32, BuildOffsetHasher>> = Vec::new();
        // Every wanted blob's entry first, so a chain that reaches one stops there.
        let mut unlinked: Vec<(u32, u32, Base)> = Vec::with_capacity(files);
        for (file, located) in located.into_iter().enumerate() {
            let Some((b, fresh, base)) = located else {
                continue;
            };
            let p = match plans
                .plans
                .iter()
                .position(|plan| plan.bundle == b as usize)
            {
                Some(p) => p,
                None => {
                    plans.plans.push(Plan {
                        bundle: b as usize,
                        nodes: Vec::with_capacity(files),
                        roots: Vec::new(),
                    });
                    by_offset.push(HashMap::with_capacity_and_hasher(files, BuildOffsetHasher));
                    plans.plans.len() - 1
                }
            };
            let (plan, known) = (&mut plans.plans[p], &mut by_offset[p]);
            let node = *known.entry(fresh.offset).or_insert_with(|| {
                let node = plan.nodes.len() as u32;
                plan.nodes.push(fresh);
                unlinked.push((p as u32, node, base));
                node
            });
            let node = &mut plan.nodes[node as usize];
            plans.next_file[file] = node.first_file;
            node.first_file = file as u32;
        }
        // Then each down its chain to a full object or an entry already planned, linking as
        // it goes.
        for (p, mut node, mut base) in unlinked {
            let (plan, known) = (&mut plans.plans[p as usize], &mut by_offset[p as usize]);
            let bundle = &self.bundles[plan.bundle];
            loop {
                let base_offset = match base {
                    Base::Root => {
                        plan.roots.push(node);
                        break;
                    }
                    // Not a blob, or a base elsewhere: not ours.
                    Base::Outside => break,
                    Base::At(offset) => offset,
                };
                let (parent, fresh) = match known.get(&base_offset) {
                    // Linked under an entry already planned: reached when it is, or never.
                    Some(&planned) => (planned, None),
                    None => {
                        let Ok(entry) = bundle.pack.entry(base_offset) else {
                            break;
                        };
                        let added = plan.nodes.len() as u32;
                        plan.nodes.push(Node::of(base_offset, &entry, kind));
                        known.insert(base_offset, added);
                        (
                            added,
                            Some(Base::of(bundle, base_offset, &entry.header, kind)),
                        )
                    }
                };
                plan.nodes[node as usize].next_sibling = plan.nodes[parent as usize].first_child;
                plan.nodes[parent as usize].first_child = node;
                match fresh {
                    Some(fresh) => (node, base) = (parent, fresh),
                    None => break,
                }
            }
        }
        for plan in &mut plans.plans {
            // In pack order: neighbouring entries share pages.
            let nodes = &plan.nodes;
            plan.roots.sort_by_key(|&r| nodes[r as usize].offset);
        }
        plans
    }
}

/// Where an entry's base is: none (a full object of the kind wanted, a root), at an offset in
/// its pack, or where this walk does not go (another pack, an entry of another kind).
#[derive(Clone, Copy)]
enum Base {
    Root,
    At(u64),
    Outside,
}

impl Base {
    fn of(bundle: &pack::Bundle, offset: u64, header: &Header, kind: gix::objs::Kind) -> Base {
        if header.as_kind() == Some(kind) {
            return Base::Root;
        }
        let at = match header {
            Header::OfsDelta { base_distance } => offset
                .checked_sub(*base_distance)
                .filter(|_| *base_distance > 0),
            Header::RefDelta { base_id } => bundle
                .index
                .lookup(base_id)
                .map(|i| bundle.index.pack_offset_at_index(i)),
            // Another kind: the object database tells the caller what it is.
            _ => None,
        };
        at.map_or(Base::Outside, Base::At)
    }
}

impl Plan {
    /// About how much work walking from `root` is: every entry under it yields an object about
    /// the size of the root's.
    fn weight(&self, root: u32) -> u64 {
        let mut entries = 0u64;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            entries += 1;
            let mut child = self.nodes[node as usize].first_child;
            while child != NONE {
                stack.push(child);
                child = self.nodes[child as usize].next_sibling;
            }
        }
        entries * self.nodes[root as usize].size.max(1)
    }
}

impl Node {
    fn of(offset: u64, entry: &pack::data::Entry, kind: gix::objs::Kind) -> Node {
        Node {
            offset,
            data_offset: entry.data_offset,
            size: entry.decompressed_size,
            full: entry.header.as_kind() == Some(kind),
            first_child: NONE,
            next_sibling: NONE,
            first_file: NONE,
        }
    }
}

/// Pack offsets are distinct numbers: a multiply spreads them well enough, at a fraction of
/// the default hasher's cost.
#[derive(Clone, Copy, Default)]
struct BuildOffsetHasher;

#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::BuildHasher for BuildOffsetHasher {
    type Hasher = OffsetHasher;
    fn build_hasher(&self) -> OffsetHasher {
        OffsetHasher(0)
    }
}

impl std::hash::Hasher for OffsetHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = x ^ (x >> 29);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// `f` of each of `items`, in their order, computed on up to `threads` threads.
fn on_threads<I: Sync, T: Send>(items: &[I], threads: usize, f: impl Fn(&I) -> T + Sync) -> Vec<T> {
    let threads = threads.min(items.len() / 1024).max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<T>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a detection thread panicked"))
            .collect()
    })
}

/// One thread's inflater and buffers.
#[derive(Default)]
struct Walker {
    /// Blobs larger than this are not handed on.
    max_size: u64,
    inflate: Inflater,
    delta: Vec<u8>,
    /// Spent object buffers, for the next objects to reuse.
    spare: Vec<Vec<u8>>,
    /// The walk's levels: an entry, its object's bytes, and its next child to build.
    stack: Vec<(u32, Vec<u8>, u32)>,
}

impl Walker {
    /// Decode the tree of entries from `root`, handing each wanted blob to `f`. An entry that
    /// does not decode leaves its blob, and those built on it, to the caller.
    fn walk<T>(
        &mut self,
        pack: &pack::data::File,
        plans: &Plans,
        plan: &Plan,
        root: u32,
        f: &impl Fn(usize, &[u8]) -> T,
        done: &mut Vec<(usize, Packed<T>)>,
    ) {
        let (nodes, max_size) = (&plan.nodes, self.max_size);
        let node = &nodes[root as usize];
        if !node.full {
            return;
        }
        // A wanted blob too large to read, with nothing built on it: not inflated.
        if node.first_child == NONE && node.size > max_size {
            let mut file = node.first_file;
            while file != NONE {
                done.push((file as usize, Packed::TooLarge));
                file = plans.next_file[file as usize];
            }
            return;
        }
        let mut data = self.spare.pop().unwrap_or_default();
        if self.inflate_into(pack, node, &mut data).is_none() {
            self.spare.push(data);
            return;
        }
        // Depth first.
        let mut stack = std::mem::take(&mut self.stack);
        emit(plans, node, &data, max_size, f, done);
        stack.push((root, data, node.first_child));
        while let Some((_, data, next)) = stack.last_mut() {
            if *next == NONE {
                let (_, data, _) = stack.pop().expect("a level");
                self.spare.push(data);
                continue;
            }
            let child = *next;
            let node = &nodes[child as usize];
            *next = node.next_sibling;
            let mut built = self.spare.pop().unwrap_or_default();
            if self.apply_into(pack, node, data, &mut built).is_none() {
                self.spare.push(built);
                continue;
            }
            emit(plans, node, &built, max_size, f, done);
            stack.push((child, built, node.first_child));
        }
        self.stack = stack;
    }

    fn inflate_into(
        &mut self,
        pack: &pack::data::File,
        node: &Node,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let size = usize::try_from(node.size).ok()?;
        out.clear();
        out.resize(size, 0);
        // The entry as planned: its header is not decoded again. Its stream ends where it
        // says; what follows it in the pack is ignored.
        let input = pack.entry_slice(node.data_offset..pack.pack_end() as u64)?;
        self.inflate.whole(input, out)
    }

    /// Build `node`'s object from its base's bytes and its delta.
    fn apply_into(
        &mut self,
        pack: &pack::data::File,
        node: &Node,
        base: &[u8],
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let mut delta = std::mem::take(&mut self.delta);
        let applied = self
            .inflate_into(pack, node, &mut delta)
            .and_then(|()| apply_delta(base, &delta, out));
        self.delta = delta;
        applied
    }
}

/// Inflates a pack entry whole into a buffer of its known size, in one call with no stream
/// state: most entries are small deltas, each its own zlib stream, and libdeflate's whole-buffer
/// inflate spends less per stream than a streaming inflater (about a tenth less CPU for cold
/// detection of 100k generated files).
#[derive(Default)]
struct Inflater(libdeflater::Decompressor);

impl Inflater {
    /// Inflate the zlib stream at the start of `input` into `out`, which it must fill exactly
    /// (the size the entry's header gave): `None` when it does not.
    fn whole(&mut self, input: &[u8], out: &mut [u8]) -> Option<()> {
        let written = self.0.zlib_decompress(input, out).ok()?;
        (written == out.len()).then_some(())
    }
}

/// Hand `data`, the blob of `node`, to `f` for each file it is.
fn emit<T>(
    plans: &Plans,
    node: &Node,
    data: &[u8],
    max_size: u64,
    f: &impl Fn(usize, &[u8]) -> T,
    done: &mut Vec<(usize, Packed<T>)>,
) {
    let mut file = node.first_file;
    while file != NONE {
        done.push((
            file as usize,
            if data.len() as u64 > max_size {
                Packed::TooLarge
            } else {
                Packed::Mapped(f(file as usize, data))
            },
        ));
        file = plans.next_file[file as usize];
    }
}

/// Apply git's delta instructions `delta` to `base`: `None` when they do not fit it.
fn apply_delta(base: &[u8], delta: &[u8], out: &mut Vec<u8>) -> Option<()> {
    fn size(d: &[u8], at: &mut usize) -> Option<u64> {
        let mut size = 0u64;
        let mut shift = 0;
        loop {
            let byte = *d.get(*at)?;
            *at += 1;
            if shift >= 64 {
                return None;
            }
            size |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return Some(size);
            }
        }
    }
    let mut at = 0;
    if size(delta, &mut at)? != base.len() as u64 {
        return None;
    }
    let result = usize::try_from(size(delta, &mut at)?).ok()?;
    out.clear();
    out.reserve(result);
    while let Some(&cmd) = delta.get(at) {
        at += 1;
        if cmd & 0x80 != 0 {
            let mut field = |bits: u8, shift: u32, value: &mut u32| -> Option<()> {
                if cmd & bits != 0 {
                    *value |= u32::from(*delta.get(at)?) << shift;
                    at += 1;
                }
                Some(())
            };
            let (mut offset, mut len) = (0u32, 0u32);
            field(0x01, 0, &mut offset)?;
            field(0x02, 8, &mut offset)?;
            field(0x04, 16, &mut offset)?;
            field(0x08, 24, &mut offset)?;
            field(0x10, 0, &mut len)?;
            field(0x20, 8, &mut len)?;
            field(0x40, 16, &mut len)?;
            if len == 0 {
                len = 0x10000;
            }
            let (offset, len) = (offset as usize, len as usize);
            out.extend_from_slice(base.get(offset..offset.checked_add(len)?)?);
        } else if cmd != 0 {
            let len = cmd as usize;
            out.extend_from_slice(delta.get(at..at + len)?);
            at += len;
        } else {
            return None;
        }
        if out.len() > result {
            return None;
        }
    }
    (out.len() == result).then_some(())
}

#[cfg(test)]
mod tests {
    use super::Inflater;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut compressor = libdeflater::Compressor::default();
        let mut out = vec![0; compressor.zlib_compress_bound(data.len())];
        let n = compressor.zlib_compress(data, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn an_entry_inflates_whole_whatever_follows_it_in_the_pack() {
        let data = b"s3://bucket/key\n".repeat(40);
        let mut input = zlib(&data);
        // The next entry's header and stream follow in a pack.
        input.extend_from_slice(&[0x3b, 0x78, 0x9c, 0x01, 0x02]);
        let mut out = vec![0; data.len()];
        assert_eq!(Inflater::default().whole(&input, &mut out), Some(()));
        assert_eq!(out, data);
    }

    #[test]
    fn an_entry_of_another_size_than_its_header_says_is_refused() {
        let data = b"arn:aws:s3:::bucket/*".repeat(10);
        let input = zlib(&data);
        let mut inflater = Inflater::default();
        assert_eq!(inflater.whole(&input, &mut vec![0; data.len() + 1]), None);
        assert_eq!(inflater.whole(&input, &mut vec![0; data.len() - 1]), None);
        let mut corrupt = input.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff; // the adler32 checksum
        assert_eq!(inflater.whole(&corrupt, &mut vec![0; data.len()]), None);
        assert_eq!(inflater.whole(&input, &mut vec![0; data.len()]), Some(()));
    }
}
