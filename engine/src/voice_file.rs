//! A domain's fraudster index as a file that every backend of the server maps read-only, so the
//! operating system's page cache holds one copy of the voiceprints for all connections and a
//! new connection's first search costs a `mmap`, not a scan of the catalog (docs/voice-id.md,
//! "One index per server").
//!
//! A file holds exactly what a full load of the domain at one `fraudsters_stamp` builds: the
//! rows in the load order (ids, `created_at`, voiceprints as stored by [`Index::push`]), each
//! watchlist's member rows, and the cohort. Stamps are never reused within one install of the
//! extension, so (database, catalog table, domain, stamp) names one content; the file carries
//! those four (and the stamp's `xmin`), and [`Snapshot::open`] refuses a file whose header does
//! not match what the caller expects, or whose sections do not fit the file. Files are written
//! whole under a temporary name and renamed, and never modified afterwards, so a mapping stays
//! valid even when a newer file replaces the name.
//!
//! The layout is native-endian (a file is only read by the server that wrote it, or a physical
//! copy of it, which has the same architecture); sections start at multiples of 64 bytes:
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | magic `FDVOICE\0`, u32 version, u32 byte-order mark `0x01020304` |
//! | 16 | u32 dimension, u32 watchlist count, u64 rows (n), i64 stamp |
//! | 40 | u32 database, u32 relation, u32 cohort present (0 or 1), u32 domain id length |
//! | 56 | f64 cohort location, f64 cohort scale |
//! | 72 | u64 offset and u64 length of each section: domain id, id offsets (u64 × n+1), id bytes, `created_at` (i64 × n), watchlists, matrix (f32 × n × dimension) |
//! | 168 | u64 total length, u32 the stamp's `xmin`, u32 zero |
//!
//! A watchlist entry is u32 name length, u32 member count, the name padded to 4 bytes, then
//! the member rows (u32 each, ascending).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::voice::{Cohort, Index};

const MAGIC: &[u8; 8] = b"FDVOICE\0";
const VERSION: u32 = 1;
const BYTE_ORDER: u32 = 0x0102_0304;
const HEADER: usize = 184;
const ALIGN: usize = 64;
/// The sections, in file order (the header's offset/length pairs).
const SECTIONS: usize = 6;
const S_DOMAIN: usize = 0;
const S_ID_OFFSETS: usize = 1;
const S_ID_BYTES: usize = 2;
const S_CREATED: usize = 3;
const S_WATCHLISTS: usize = 4;
const S_MATRIX: usize = 5;

/// What names a file's content: the caller's database and catalog table (their OIDs), the
/// domain and its stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub database: u32,
    pub relation: u32,
    pub domain_id: String,
    pub stamp: i64,
    /// The transaction that set the stamp (the domain row's `xmin`): a stamp the sequence
    /// hands out again (a `setval`, a data-only restore) comes with another one.
    pub stamp_xmin: u32,
}

/// What a full load builds besides the index: each row's `created_at` and each watchlist's
/// member rows (ascending), and the cohort.
pub struct Contents<'a> {
    pub index: &'a Index,
    pub created: &'a [i64],
    pub watchlists: Vec<(&'a str, &'a [u32])>,
    pub cohort: Option<Cohort>,
}

/// A mapped, validated file.
pub struct Snapshot {
    map: memmap2::Mmap,
    pub identity: Identity,
    pub dimension: usize,
    pub rows: usize,
    pub cohort: Option<Cohort>,
    sections: [(usize, usize); SECTIONS],
    /// (name, offset of its rows, count)
    watchlists: Vec<(String, usize, usize)>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("identity", &self.identity)
            .field("dimension", &self.dimension)
            .field("rows", &self.rows)
            .finish()
    }
}

fn pad(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// Where the sections of these lengths go, one after the other, and the file's length.
fn layout(lengths: [usize; SECTIONS]) -> ([(usize, usize); SECTIONS], usize) {
    let mut sections = [(0usize, 0usize); SECTIONS];
    let mut at = HEADER;
    for (s, len) in sections.iter_mut().zip(lengths) {
        at = pad(at);
        *s = (at, len);
        at += len;
    }
    (sections, pad(at))
}

/// Writes `contents` as the file `path`, atomically: a temporary file beside it, synced, then
/// renamed over `path`.
pub fn write(path: &Path, identity: &Identity, contents: &Contents) -> io::Result<()> {
    let index = contents.index;
    let n = index.len();
    let d = index.dimension;
    if contents.created.len() != n {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "created_at per row",
        ));
    }
    let domain = identity.domain_id.as_bytes();
    let mut id_offsets = Vec::with_capacity(n + 1);
    let mut id_bytes = 0u64;
    id_offsets.push(0u64);
    for i in 0..n {
        id_bytes += index.id(i).len() as u64;
        id_offsets.push(id_bytes);
    }
    let watchlists_len: usize = contents
        .watchlists
        .iter()
        .map(|(name, rows)| 8 + name.len().div_ceil(4) * 4 + 4 * rows.len())
        .sum();
    let lengths = [
        domain.len(),
        8 * (n + 1),
        id_bytes as usize,
        8 * n,
        watchlists_len,
        4 * n * d,
    ];
    let (sections, total) = layout(lengths);

    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_ne_bytes());
    header.extend_from_slice(&BYTE_ORDER.to_ne_bytes());
    header.extend_from_slice(&(d as u32).to_ne_bytes());
    header.extend_from_slice(&(contents.watchlists.len() as u32).to_ne_bytes());
    header.extend_from_slice(&(n as u64).to_ne_bytes());
    header.extend_from_slice(&identity.stamp.to_ne_bytes());
    header.extend_from_slice(&identity.database.to_ne_bytes());
    header.extend_from_slice(&identity.relation.to_ne_bytes());
    header.extend_from_slice(&u32::from(contents.cohort.is_some()).to_ne_bytes());
    header.extend_from_slice(&(domain.len() as u32).to_ne_bytes());
    let cohort = contents.cohort.unwrap_or(Cohort {
        location: 0.0,
        scale: 0.0,
    });
    header.extend_from_slice(&cohort.location.to_ne_bytes());
    header.extend_from_slice(&cohort.scale.to_ne_bytes());
    for (offset, len) in sections {
        header.extend_from_slice(&(offset as u64).to_ne_bytes());
        header.extend_from_slice(&(len as u64).to_ne_bytes());
    }
    header.extend_from_slice(&(total as u64).to_ne_bytes());
    header.extend_from_slice(&identity.stamp_xmin.to_ne_bytes());
    header.extend_from_slice(&0u32.to_ne_bytes());
    debug_assert_eq!(header.len(), HEADER);

    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = path.with_file_name(format!(
        "{}.tmp.{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut out = Out {
            w: BufWriter::with_capacity(1 << 20, File::create(&tmp)?),
            at: 0,
        };
        out.put(&header)?;
        out.pad_to(sections[S_DOMAIN].0)?;
        out.put(domain)?;
        out.pad_to(sections[S_ID_OFFSETS].0)?;
        out.put(as_bytes(&id_offsets))?;
        out.pad_to(sections[S_ID_BYTES].0)?;
        for i in 0..n {
            out.put(index.id(i).as_bytes())?;
        }
        out.pad_to(sections[S_CREATED].0)?;
        out.put(as_bytes(contents.created))?;
        out.pad_to(sections[S_WATCHLISTS].0)?;
        for (name, rows) in &contents.watchlists {
            out.put(&(name.len() as u32).to_ne_bytes())?;
            out.put(&(rows.len() as u32).to_ne_bytes())?;
            out.put(name.as_bytes())?;
            out.pad_to(out.at.div_ceil(4) * 4)?;
            out.put(as_bytes(rows))?;
        }
        out.pad_to(sections[S_MATRIX].0)?;
        for i in 0..n {
            out.put(as_bytes(index.row(i)))?;
        }
        out.pad_to(total)?;
        // no fsync: a file is trusted only by the server run that wrote it (the caller's
        // directory), and only a crash of the machine loses written pages
        out.w.flush()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The file being written, and how many bytes so far.
struct Out {
    w: BufWriter<File>,
    at: usize,
}

impl Out {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.at += b.len();
        self.w.write_all(b)
    }

    /// Zeros up to offset `to`.
    fn pad_to(&mut self, to: usize) -> io::Result<()> {
        let zeros = [0u8; ALIGN];
        while self.at < to {
            let k = (to - self.at).min(ALIGN);
            self.put(&zeros[..k])?;
        }
        Ok(())
    }
}

/// The native-endian bytes of a slice of numbers.
fn as_bytes<T: Copy>(v: &[T]) -> &[u8] {
    // SAFETY: T is one of u32, u64, i64 and f32 here: no padding, every byte initialised.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast(), std::mem::size_of_val(v)) }
}

/// Reads little pieces of the header.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_ne_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_ne_bytes(self.take())
    }
    fn f64(&mut self) -> f64 {
        f64::from_ne_bytes(self.take())
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Snapshot {
    /// Maps `path` and checks it: `Ok(None)` when there is no such file, an error when it
    /// cannot be read or is not a complete file of `expected` with voiceprints of `dimension`
    /// values. With `populate`, the pages are mapped in at once (one pass instead of a fault
    /// per page during the first search).
    pub fn open(
        path: &Path,
        expected: &Identity,
        dimension: usize,
        populate: bool,
    ) -> io::Result<Option<Snapshot>> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut options = memmap2::MmapOptions::new();
        if populate {
            options.populate();
        }
        // SAFETY: the file is only ever replaced by a rename, never written in place
        // (`write`), so the mapped bytes do not change under the mapping.
        let map = unsafe { options.map(&file)? };
        Snapshot::check(map, expected, dimension).map(Some)
    }

    fn check(map: memmap2::Mmap, expected: &Identity, dimension: usize) -> io::Result<Snapshot> {
        let bytes: &[u8] = &map;
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err(invalid("not a voice index file"));
        }
        let mut r = Reader { bytes, at: 8 };
        if r.u32() != VERSION || r.u32() != BYTE_ORDER {
            return Err(invalid("another version or byte order"));
        }
        let d = r.u32() as usize;
        let watchlist_count = r.u32() as usize;
        let n = usize::try_from(r.u64()).map_err(|_| invalid("row count"))?;
        let stamp = r.u64() as i64;
        let database = r.u32();
        let relation = r.u32();
        let has_cohort = r.u32();
        let domain_len = r.u32() as usize;
        let location = r.f64();
        let scale = r.f64();
        let mut sections = [(0usize, 0usize); SECTIONS];
        for s in sections.iter_mut() {
            let offset = r.u64();
            let len = r.u64();
            let end = offset
                .checked_add(len)
                .ok_or_else(|| invalid("section bounds"))?;
            if !offset.is_multiple_of(ALIGN as u64) || end > bytes.len() as u64 {
                return Err(invalid("section bounds"));
            }
            *s = (offset as usize, len as usize);
        }
        let total = r.u64();
        let stamp_xmin = r.u32();
        if r.u32() != 0 {
            return Err(invalid("header padding"));
        }
        if total != bytes.len() as u64 || d != dimension || d == 0 || has_cohort > 1 {
            return Err(invalid("length or dimension"));
        }
        let expected_lengths = [
            Some(domain_len),
            n.checked_add(1).and_then(|m| m.checked_mul(8)),
            None,
            n.checked_mul(8),
            None,
            n.checked_mul(d).and_then(|m| m.checked_mul(4)),
        ];
        for (s, len) in sections.iter().zip(expected_lengths) {
            if len.is_some_and(|len| len != s.1) {
                return Err(invalid("section length"));
            }
        }
        // each section where the writer puts it: nothing overlaps, nothing is left between
        if layout(sections.map(|s| s.1)) != (sections, bytes.len()) {
            return Err(invalid("layout"));
        }
        let domain = &bytes[sections[S_DOMAIN].0..][..domain_len];
        let identity = Identity {
            database,
            relation,
            domain_id: String::from_utf8(domain.to_vec()).map_err(|_| invalid("domain id"))?,
            stamp,
            stamp_xmin,
        };
        if &identity != expected {
            return Err(invalid("another domain, stamp or install"));
        }
        // ids: offsets non-decreasing, within the bytes, each id UTF-8
        let offsets = u64s(bytes, sections[S_ID_OFFSETS]);
        let id_bytes = section(bytes, sections[S_ID_BYTES]);
        if offsets[0] != 0 || offsets[n] != id_bytes.len() as u64 {
            return Err(invalid("id offsets"));
        }
        for w in offsets.windows(2) {
            if w[1] < w[0] || std::str::from_utf8(&id_bytes[w[0] as usize..w[1] as usize]).is_err()
            {
                return Err(invalid("ids"));
            }
        }
        // watchlists: names, and rows that exist
        let (start, len) = sections[S_WATCHLISTS];
        let end = start + len;
        let mut at = start;
        // each watchlist takes at least 8 bytes: a damaged count asks for no huge allocation
        let mut watchlists = Vec::with_capacity(watchlist_count.min(len / 8));
        for _ in 0..watchlist_count {
            if at + 8 > end {
                return Err(invalid("watchlists"));
            }
            let mut r = Reader { bytes, at };
            let name_len = r.u32() as usize;
            let count = r.u32() as usize;
            let rows_at = (at + 8)
                .checked_add(name_len.div_ceil(4) * 4)
                .ok_or_else(|| invalid("watchlists"))?;
            let rows_end = count
                .checked_mul(4)
                .and_then(|c| c.checked_add(rows_at))
                .ok_or_else(|| invalid("watchlists"))?;
            if rows_end > end {
                return Err(invalid("watchlists"));
            }
            let name = std::str::from_utf8(&bytes[at + 8..at + 8 + name_len])
                .map_err(|_| invalid("watchlist name"))?
                .to_string();
            if u32s(bytes, rows_at, count).iter().any(|&r| r as usize >= n) {
                return Err(invalid("watchlist rows"));
            }
            watchlists.push((name, rows_at, count));
            at = rows_end;
        }
        Ok(Snapshot {
            map,
            identity,
            dimension: d,
            rows: n,
            cohort: (has_cohort != 0).then_some(Cohort { location, scale }),
            sections,
            watchlists,
        })
    }

    /// Each row's `created_at`.
    pub fn created(&self) -> &[i64] {
        let b = section(&self.map, self.sections[S_CREATED]);
        // SAFETY: as in `u64s`.
        unsafe { std::slice::from_raw_parts(b.as_ptr().cast(), b.len() / 8) }
    }

    /// The voiceprints, row after row.
    pub fn matrix(&self) -> &[f32] {
        let b = section(&self.map, self.sections[S_MATRIX]);
        // SAFETY: as in `u64s` (f32 needs 4-byte alignment).
        unsafe { std::slice::from_raw_parts(b.as_ptr().cast(), b.len() / 4) }
    }

    /// Row `i`'s fraudster id.
    pub fn id(&self, i: usize) -> &str {
        let o = u64s(&self.map, self.sections[S_ID_OFFSETS]);
        let b = &section(&self.map, self.sections[S_ID_BYTES])[o[i] as usize..o[i + 1] as usize];
        // checked by `open`
        std::str::from_utf8(b).unwrap_or_default()
    }

    pub fn watchlist_count(&self) -> usize {
        self.watchlists.len()
    }

    /// Watchlist `i`: its name and member rows.
    pub fn watchlist(&self, i: usize) -> (&str, &[u32]) {
        let (name, at, count) = &self.watchlists[i];
        (name, u32s(&self.map, *at, *count))
    }
}

fn section(bytes: &[u8], (at, len): (usize, usize)) -> &[u8] {
    &bytes[at..at + len]
}

fn u64s(bytes: &[u8], s: (usize, usize)) -> &[u64] {
    let b = section(bytes, s);
    // SAFETY: sections start at multiples of 64 bytes of a page-aligned mapping and lie within
    // it (checked against the file's length); every bit pattern is a u64.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast(), b.len() / 8) }
}

/// `count` u32s at `at`, which is a multiple of 4 within the mapping (watchlist names are
/// padded to 4 bytes and their section starts at a multiple of 64; the caller checked the end).
fn u32s(bytes: &[u8], at: usize, count: usize) -> &[u32] {
    let b = &bytes[at..at + 4 * count];
    // SAFETY: aligned and in bounds as above; every bit pattern is a u32.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast(), count) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn unit(seed: u64, d: usize) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v: Vec<f32> = (0..d)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        crate::voice::normalize(&v, d).unwrap()
    }

    fn identity(stamp: i64) -> Identity {
        Identity {
            database: 5,
            relation: 16384,
            domain_id: "dom-é".to_string(),
            stamp,
            stamp_xmin: 731,
        }
    }

    /// A file in a directory of the test's own (`name`), removed by the test.
    fn path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fd_voice_file_{}_{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn remove(p: &std::path::Path) {
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    /// An index of `n` rows with ids of varying length, two watchlists and a cohort.
    fn build(n: usize, d: usize) -> (Index, Vec<i64>, Vec<u32>, Vec<u32>) {
        let mut ix = Index::new(d);
        for i in 0..n {
            ix.push(
                format!("f{}", "x".repeat(i % 7)) + &i.to_string(),
                &unit(i as u64, d),
            )
            .unwrap();
        }
        let created = (0..n as i64).map(|i| i * 1000 - 7).collect();
        let even = (0..n as u32).filter(|r| r % 2 == 0).collect();
        let few = vec![1, 3];
        (ix, created, even, few)
    }

    #[test]
    fn a_written_file_maps_back_to_the_same_index() {
        let (ix, created, even, few) = build(300, 24);
        let cohort = ix.cohort();
        assert!(cohort.is_some());
        let p = path("round_trip");
        let contents = Contents {
            index: &ix,
            created: &created,
            watchlists: vec![("even", &even[..]), ("a-name-of-odd-length", &few[..])],
            cohort,
        };
        write(&p, &identity(42), &contents).unwrap();
        let snap = Snapshot::open(&p, &identity(42), 24, true)
            .unwrap()
            .unwrap();
        assert_eq!(snap.rows, 300);
        assert_eq!(snap.cohort, cohort);
        assert_eq!(snap.created(), &created[..]);
        assert_eq!(snap.watchlist_count(), 2);
        assert_eq!(snap.watchlist(0), ("even", &even[..]));
        assert_eq!(snap.watchlist(1), ("a-name-of-odd-length", &few[..]));
        let mapped = Index::mapped(Arc::new(snap));
        assert!(mapped.is_mapped());
        assert_eq!(mapped.len(), ix.len());
        for i in 0..ix.len() {
            assert_eq!(mapped.id(i), ix.id(i));
            assert_eq!(mapped.row(i), ix.row(i));
        }
        assert_eq!(mapped.cohort(), cohort);
        let q = unit(99_999, 24);
        assert_eq!(mapped.nearest(&q, None), ix.nearest(&q, None));
        assert_eq!(mapped.nearest(&q, Some(&even)), ix.nearest(&q, Some(&even)));
        // a change copies the mapped rows first; the file is untouched
        let mut changed = mapped.clone();
        changed.set_row(0, &unit(7, 24));
        assert!(!changed.is_mapped());
        assert_eq!(changed.row(0), &unit(7, 24)[..]);
        assert_eq!(mapped.row(0), ix.row(0));
        changed.push("new".into(), &unit(8, 24)).unwrap();
        assert_eq!(changed.len(), 301);
        assert_eq!(changed.id(300), "new");
        remove(&p);
    }

    #[test]
    fn an_empty_domain_round_trips() {
        let ix = Index::new(8);
        let p = path("empty");
        let contents = Contents {
            index: &ix,
            created: &[],
            watchlists: vec![],
            cohort: None,
        };
        write(&p, &identity(1), &contents).unwrap();
        let snap = Snapshot::open(&p, &identity(1), 8, false).unwrap().unwrap();
        assert_eq!(
            (snap.rows, snap.cohort, snap.watchlist_count()),
            (0, None, 0)
        );
        assert_eq!(
            Index::mapped(Arc::new(snap)).nearest(&unit(1, 8), None),
            None
        );
        remove(&p);
    }

    #[test]
    fn another_identity_dimension_or_a_damaged_file_is_refused() {
        let (ix, created, even, few) = build(50, 16);
        let p = path("refused");
        let contents = Contents {
            index: &ix,
            created: &created,
            watchlists: vec![("even", &even[..]), ("few", &few[..])],
            cohort: None,
        };
        write(&p, &identity(3), &contents).unwrap();
        assert!(
            Snapshot::open(&p.with_file_name("absent"), &identity(3), 16, false)
                .unwrap()
                .is_none()
        );
        for other in [
            Identity {
                stamp: 4,
                ..identity(3)
            },
            Identity {
                database: 6,
                ..identity(3)
            },
            Identity {
                relation: 1,
                ..identity(3)
            },
            Identity {
                domain_id: "dom".into(),
                ..identity(3)
            },
        ] {
            assert!(Snapshot::open(&p, &other, 16, false).is_err(), "{other:?}");
        }
        assert!(Snapshot::open(&p, &identity(3), 15, false).is_err());
        let good = std::fs::read(&p).unwrap();
        // truncated anywhere, one byte longer, or a header field changed: refused
        let damaged = p.with_file_name("damaged");
        let mut cases: Vec<Vec<u8>> = [0, 7, HEADER, good.len() / 2, good.len() - 1]
            .iter()
            .map(|&k| good[..k].to_vec())
            .collect();
        cases.push([&good[..], &[0]].concat());
        for at in (0..HEADER).step_by(4) {
            let mut b = good.clone();
            b[at] ^= 0x40;
            // the cohort's values are not checked (no cohort here)
            if !(56..72).contains(&at) {
                cases.push(b);
            }
        }
        for (k, bytes) in cases.iter().enumerate() {
            std::fs::write(&damaged, bytes).unwrap();
            assert!(
                Snapshot::open(&damaged, &identity(3), 16, false).is_err(),
                "case {k} was accepted"
            );
        }
        // a watchlist row past the last row is refused
        let mut b = good.clone();
        let rows_at = u64::from_ne_bytes(b[72 + 16 * S_WATCHLISTS..][..8].try_into().unwrap());
        let first_row = rows_at as usize + 8 + 4; // "even" is 4 bytes
        b[first_row..first_row + 4].copy_from_slice(&50u32.to_ne_bytes());
        std::fs::write(&damaged, &b).unwrap();
        assert!(Snapshot::open(&damaged, &identity(3), 16, false).is_err());
        remove(&p);
    }
}
