//! PostgreSQL's jsonb binary format, read in Rust: object key lookup (the same binary search as
//! `findJsonbValueFromContainer`) and numeric decoding, over a bounds-checked byte slice. It
//! replaces one FFI call (with pgrx's longjmp guard) per variable per event, and the text
//! round trip PostgreSQL's numeric-to-float8 conversion makes. Layout: src/include/utils/jsonb.h
//! and numeric.c; the pg_tests cross-check it against PostgreSQL's own functions.

use smallvec::SmallVec;

const JB_CMASK: u32 = 0x0FFF_FFFF;
const JB_FOBJECT: u32 = 0x2000_0000;
const JB_FARRAY: u32 = 0x4000_0000;
const JB_FSCALAR: u32 = 0x1000_0000;
const JENTRY_OFFLENMASK: u32 = 0x0FFF_FFFF;
const JENTRY_TYPEMASK: u32 = 0x7000_0000;
const JENTRY_HAS_OFF: u32 = 0x8000_0000;
const JENTRY_ISSTRING: u32 = 0x0000_0000;
const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
const JENTRY_ISNULL: u32 = 0x4000_0000;
const JENTRY_ISCONTAINER: u32 = 0x5000_0000;

/// A jsonb container (object, array or scalar wrapper): its bytes from the header on.
#[derive(Clone, Copy)]
pub struct Container<'a> {
    bytes: &'a [u8],
}

/// One value found in a container.
pub enum Item<'a> {
    Null,
    Bool(bool),
    /// UTF-8 (in a UTF-8 database) bytes, not NUL-terminated
    Str(&'a [u8]),
    /// a numeric varlena, header included
    Numeric(&'a [u8]),
    Container(Container<'a>),
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn intalign(n: usize) -> usize {
    (n + 3) & !3
}

impl<'a> Container<'a> {
    pub fn new(bytes: &'a [u8]) -> Container<'a> {
        Container { bytes }
    }

    fn header(&self) -> u32 {
        u32_at(self.bytes, 0).unwrap_or(0)
    }

    pub fn is_object(&self) -> bool {
        self.header() & JB_FOBJECT != 0
    }

    fn jentry(&self, i: usize) -> Option<u32> {
        u32_at(self.bytes, 4 + 4 * i)
    }

    /// The value of child `i` whose data lies at `start..end` after `base` (offsets as
    /// `ObjectIndex` computes them).
    fn decode(&self, i: usize, base: usize, start: usize, end: usize) -> Option<Item<'a>> {
        let kind = self.jentry(i)? & JENTRY_TYPEMASK;
        let b = self.bytes;
        Some(match kind {
            JENTRY_ISSTRING => Item::Str(b.get(base + start..base + end)?),
            JENTRY_ISNUMERIC => Item::Numeric(b.get(base + intalign(start)..base + end)?),
            JENTRY_ISBOOL_FALSE => Item::Bool(false),
            JENTRY_ISBOOL_TRUE => Item::Bool(true),
            JENTRY_ISNULL => Item::Null,
            JENTRY_ISCONTAINER => {
                Item::Container(Container::new(b.get(base + intalign(start)..base + end)?))
            }
            _ => return None,
        })
    }

    /// The elements of an array, in order; None when this is not an array (a scalar
    /// wrapper is an array of one with its own flag, and is not one either). A damaged
    /// element ends the iteration.
    pub fn elements(self) -> Option<impl Iterator<Item = Item<'a>>> {
        let header = self.header();
        if header & JB_FARRAY == 0 || header & JB_FSCALAR != 0 {
            return None;
        }
        let count = (header & JB_CMASK) as usize;
        let base = 4usize.checked_add(count.checked_mul(4)?)?;
        let mut off: usize = 0;
        Some((0..count).map_while(move |i| {
            let je = self.jentry(i)?;
            let end = if je & JENTRY_HAS_OFF != 0 {
                (je & JENTRY_OFFLENMASK) as usize
            } else {
                off.checked_add((je & JENTRY_OFFLENMASK) as usize)?
            };
            let item = self.decode(i, base, off, end);
            off = end;
            item
        }))
    }
}

/// An object's children with their offsets computed once (a pass over the JEntries), so each
/// lookup costs no offset walk; `find` tries a caller's hint (where the key was in the last
/// event, which usually has the same shape) before a binary search.
pub struct ObjectIndex<'a> {
    container: Container<'a>,
    count: usize,
    base: usize,
    /// start offset of child i, for i in 0..=2*count (the last is the end of the data), in a
    /// buffer the caller owns (on its stack), so moving the index copies no offsets
    offsets: &'a [u32],
}

/// Room for an object's offsets; on the stack for objects of up to 15 keys.
pub type Offsets = SmallVec<[u32; 32]>;

impl<'a> ObjectIndex<'a> {
    pub fn new(container: Container<'a>, offsets: &'a mut Offsets) -> Option<ObjectIndex<'a>> {
        if !container.is_object() {
            return None;
        }
        let count = (container.header() & JB_CMASK) as usize;
        let n = count.checked_mul(2)?;
        // every JEntry bounds-checked at once, then one tight pass (this runs for every event)
        let jentries = container
            .bytes
            .get(4..4usize.checked_add(n.checked_mul(4)?)?)?;
        offsets.clear();
        offsets.reserve(n + 1);
        offsets.push(0);
        let mut off: u32 = 0;
        for je in jentries.chunks_exact(4) {
            let je = u32::from_ne_bytes([je[0], je[1], je[2], je[3]]);
            off = if je & JENTRY_HAS_OFF != 0 {
                je & JENTRY_OFFLENMASK
            } else {
                off.checked_add(je & JENTRY_OFFLENMASK)?
            };
            offsets.push(off);
        }
        Some(ObjectIndex {
            container,
            count,
            base: 4usize.checked_add(n.checked_mul(4)?)?,
            offsets,
        })
    }

    fn key(&self, i: usize) -> Option<&'a [u8]> {
        let (start, end) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        self.container.bytes.get(self.base + start..self.base + end)
    }

    fn item(&self, i: usize) -> Option<Item<'a>> {
        let (start, end) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        self.container.decode(i, self.base, start, end)
    }

    /// The value of `key`; `hint` is where to look first and is updated to where it was.
    pub fn find(&self, key: &[u8], hint: &mut usize) -> Option<Item<'a>> {
        if *hint < self.count && self.key(*hint) == Some(key) {
            return self.item(*hint + self.count);
        }
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let candidate = self.key(mid)?;
            match candidate
                .len()
                .cmp(&key.len())
                .then_with(|| candidate.cmp(key))
            {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    *hint = mid;
                    return self.item(mid + self.count);
                }
            }
        }
        None
    }
}

/// A numeric varlena (header included) as the nearest f64; None for NaN / infinities or bad
/// bytes. Digits are base 10,000; the value is Σ digit × 10000^(weight − i). Little-endian
/// only (elsewhere: None, and callers fall back to PostgreSQL's conversion).
#[cfg(target_endian = "little")]
pub fn numeric_f64(v: &[u8]) -> Option<f64> {
    let first = *v.first()?;
    // varlena header: 1 byte when its low bit is set (short), else 4 bytes
    let (hdr, size) = if first & 0x01 == 0x01 {
        (1usize, (first >> 1) as usize)
    } else {
        (4usize, (u32_at(v, 0)? >> 2) as usize)
    };
    let body = v.get(hdr..size)?;
    let n_header = u16::from_ne_bytes(body.get(0..2)?.try_into().ok()?);
    let (negative, weight, digits_at) = match n_header & 0xC000 {
        0xC000 => return None, // NaN, +Inf, -Inf
        0x8000 => {
            // short format: sign 0x2000, weight in 7 bits with sign 0x0040
            let w = (n_header & 0x003F) as i32;
            let weight = if n_header & 0x0040 != 0 { w - 64 } else { w };
            (n_header & 0x2000 != 0, weight, 2usize)
        }
        sign => {
            let weight = i16::from_ne_bytes(body.get(2..4)?.try_into().ok()?) as i32;
            (sign == 0x4000, weight, 4usize)
        }
    };
    let digits = body.get(digits_at..)?;
    let n = digits.len() / 2;
    // Fast path, exact: the digits as an integer below 2^53 (so the f64 holds it exactly),
    // then one multiplication or division by an exactly representable power of ten, which
    // IEEE arithmetic rounds correctly: the nearest f64, as strtod gives.
    if n <= 4 {
        let mut acc: i64 = 0;
        for d in digits.chunks_exact(2) {
            let v = i16::from_ne_bytes([d[0], d[1]]);
            if !(0..10_000).contains(&v) {
                return None;
            }
            acc = acc * 10_000 + v as i64;
        }
        let exp10 = 4 * (weight - n as i32 + 1);
        const POW10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if acc < (1i64 << 53) && (-22..=22).contains(&exp10) {
            let a = acc as f64;
            let p = POW10[exp10.unsigned_abs() as usize];
            let exact_product = exp10 < 0 || (a * p) < 9_007_199_254_740_992.0;
            if exact_product {
                let v = if exp10 >= 0 { a * p } else { a / p };
                return Some(if negative { -v } else { v });
            }
        }
    }
    // Write the digits out as decimal text ("<digits>e<exp>") and let Rust's correctly rounded
    // parser turn it into the nearest f64, as PostgreSQL's strtod does, without a text
    // round trip through numeric_out. Short numbers (all of them, in practice) stay on the stack.
    let mut stack = [0u8; 160];
    let mut heap = Vec::new();
    let need = 2 + 4 * n + 12;
    let buf: &mut [u8] = if need <= stack.len() {
        &mut stack
    } else {
        heap.resize(need, 0);
        &mut heap
    };
    let mut len = 0;
    if negative {
        buf[0] = b'-';
        len = 1;
    }
    buf[len] = b'0';
    len += 1;
    for d in digits.chunks_exact(2) {
        let v = i16::from_ne_bytes([d[0], d[1]]);
        if !(0..10_000).contains(&v) {
            return None;
        }
        let v = v as u16;
        buf[len..len + 4].copy_from_slice(&[
            b'0' + (v / 1000) as u8,
            b'0' + (v / 100 % 10) as u8,
            b'0' + (v / 10 % 10) as u8,
            b'0' + (v % 10) as u8,
        ]);
        len += 4;
    }
    // the text holds the digits as an integer; the value is that times 10^(4 * (weight - n + 1))
    let exp = 4 * (weight - n as i32 + 1);
    let mut e = itoa_i32(exp);
    let e = e.as_bytes_mut();
    buf[len] = b'e';
    len += 1;
    buf[len..len + e.len()].copy_from_slice(e);
    len += e.len();
    std::str::from_utf8(&buf[..len]).ok()?.parse::<f64>().ok()
}

/// An i32 as decimal text, on the stack.
struct SmallText {
    bytes: [u8; 12],
    len: usize,
}

impl SmallText {
    fn as_bytes_mut(&mut self) -> &[u8] {
        &self.bytes[12 - self.len..]
    }
}

fn itoa_i32(v: i32) -> SmallText {
    let mut t = SmallText {
        bytes: [0; 12],
        len: 0,
    };
    let mut n = (v as i64).unsigned_abs();
    loop {
        t.len += 1;
        t.bytes[12 - t.len] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        t.len += 1;
        t.bytes[12 - t.len] = b'-';
    }
    t
}

#[cfg(not(target_endian = "little"))]
pub fn numeric_f64(_v: &[u8]) -> Option<f64> {
    None
}

/// A short description of an item, for tests.
#[cfg(any(test, feature = "pg_test"))]
pub fn describe(item: &Item<'_>) -> String {
    match item {
        Item::Null => "null".into(),
        Item::Bool(b) => format!("bool {b}"),
        Item::Str(s) => format!("str {}", String::from_utf8_lossy(s)),
        Item::Numeric(n) => format!("num {:?}", numeric_f64(n)),
        Item::Container(c) => format!("container {}", c.is_object()),
    }
}
