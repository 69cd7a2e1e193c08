//! The first pass of a whole-domain search in 8-bit integers, where the processor has AVX-512
//! VNNI (a fraudster registration's duplicate checks, a search without a watchlist). Like
//! [`crate::voice_prefilter`] it only decides which rows get the exact [`crate::voice::dot`];
//! the result is the exact one-pass scan's, bit for bit.
//!
//! Each stored row x is kept a second time as x = sₓ·x₈ + rₓ, with sₓ = max|xᵢ|/127, x₈ the
//! rounded integers in [−127, 127] and rₓ the residual, of which the row keeps ‖rₓ‖ (rounded
//! up). A query q is split the same way, q = s_q·q₈ + r_q. Then, exactly,
//!
//! q·x = s_q·sₓ·(q₈·x₈) + s_q·q₈·rₓ + r_q·x,
//!
//! so the approximation a = s_q·sₓ·(q₈·x₈) (the integer dot product is exact) is within
//! A·‖rₓ‖ + B·‖x‖ of the real q·x, with A = ‖s_q·q₈‖ and B = ‖r_q‖ (Cauchy–Schwarz), and the
//! exact `dot` is within [`crate::voice_prefilter::bound`] of the real value. With δₓ the sum of
//! both and a margin for the f32 arithmetic of a, every row has a range [a − δₓ, a + δₓ] that
//! holds its `dot`; a row whose upper end is below some row's lower end cannot be the closest,
//! nor tie with it. The rows left (a handful: δ is about 0.02 for 192 dimensions, where
//! unrelated voices' cosines spread by about 0.07) get the exact `dot`.
//!
//! The integer rows are interleaved by blocks of 16: per block, for each group of 4 dimensions,
//! the 16 rows' 4 bytes side by side, so one `vpdpbusd` multiplies one group of a query (its
//! bytes offset by 128 to be unsigned; the offset is taken out with each row's Σx₈) with 16
//! rows at once, and no horizontal sum is needed.

use crate::voice_prefilter::{self, ROW_NORM_BOUND};

const LANES: usize = 16;

/// Whether this processor has the instructions.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// A domain's rows in 8 bits, with what the bound needs.
#[derive(Debug, Clone)]
pub struct Quantized {
    rows: usize,
    /// groups of 4 dimensions (the dimension rounded up to 4)
    groups: usize,
    /// blocks of 16 rows (the row count rounded up to 32: blocks go in pairs), interleaved
    blocks: Vec<i8>,
    scale: Vec<f32>,
    sum8: Vec<i32>,
    residual: Vec<f32>,
}

/// A value rounded up a little, for a bound computed in f64 and kept in f32.
fn up(x: f64) -> f32 {
    (x * (1.0 + 1e-6) + 1e-30) as f32
}

/// `v` as s·v₈ + r: (s, v₈, ‖r‖ in f64, ‖s·v₈‖ in f64).
fn split(v: &[f32]) -> (f32, Vec<i8>, f64, f64) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (0.0, vec![0; v.len()], 0.0, 0.0);
    }
    let s = max / 127.0;
    let mut v8 = Vec::with_capacity(v.len());
    let (mut r2, mut p2) = (0f64, 0f64);
    for &x in v {
        let k = (x / s).round().clamp(-127.0, 127.0) as i8;
        // s·k and x − s·k are exact in f64 (24-bit by 8-bit products)
        let p = f64::from(s) * f64::from(k);
        let r = f64::from(x) - p;
        r2 += r * r;
        p2 += p * p;
        v8.push(k);
    }
    (s, v8, r2.sqrt(), p2.sqrt())
}

impl Quantized {
    /// The rows of `matrix` (row after row, `dimension` values each).
    pub fn new(matrix: &[f32], dimension: usize) -> Quantized {
        let rows = matrix.len().checked_div(dimension).unwrap_or(0);
        let groups = dimension.div_ceil(4);
        let padded = rows.div_ceil(2 * LANES) * 2 * LANES;
        let mut q = Quantized {
            rows,
            groups,
            blocks: vec![0; padded * groups * 4],
            scale: vec![0.0; padded],
            sum8: vec![0; padded],
            residual: vec![0.0; padded],
        };
        for r in 0..rows {
            q.write(r, &matrix[r * dimension..(r + 1) * dimension]);
        }
        q
    }

    /// Row `r` (at most one past the last: appended) set to `v`, a vector of the dimension.
    pub fn set(&mut self, r: usize, v: &[f32]) {
        if r > self.rows || v.len().div_ceil(4) != self.groups {
            return;
        }
        if r == self.rows {
            self.rows += 1;
            if self.rows > self.scale.len() {
                let padded = self.scale.len() + 2 * LANES;
                self.blocks.resize(padded * self.groups * 4, 0);
                self.scale.resize(padded, 0.0);
                self.sum8.resize(padded, 0);
                self.residual.resize(padded, 0.0);
            }
        }
        self.write(r, v);
    }

    fn write(&mut self, r: usize, v: &[f32]) {
        let (s, v8, residual, _) = split(v);
        self.scale[r] = s;
        self.sum8[r] = v8.iter().map(|&k| i32::from(k)).sum();
        self.residual[r] = up(residual);
        let (block, lane) = (r / LANES, r % LANES);
        for (i, &k) in v8.iter().enumerate() {
            let (g, b) = (i / 4, i % 4);
            self.blocks[((block * self.groups + g) * LANES + lane) * 4 + b] = k;
        }
    }
}

/// A query prepared for the pass.
struct Query {
    /// q₈ + 128 (unsigned), padded to the groups
    bytes: Vec<u8>,
    scale: f32,
    /// A = ‖s_q·q₈‖
    a: f32,
    /// what δ adds to A·‖rₓ‖: B·‖x‖ for the longest stored row, the exact `dot`'s own error,
    /// and a margin for the f32 arithmetic of a and of a ± δ
    rest: f32,
}

fn query(q: &[f32], groups: usize) -> Option<Query> {
    let exact = voice_prefilter::bound(q)?;
    let (scale, q8, residual, a) = split(q);
    let mut bytes: Vec<u8> = q8.iter().map(|&k| (i16::from(k) + 128) as u8).collect();
    // padding dimensions hold 0: 128 offset, times the rows' zero padding
    bytes.resize(groups * 4, 128);
    Some(Query {
        bytes,
        scale,
        a: up(a),
        rest: up(residual * ROW_NORM_BOUND) + exact + 1e-5,
    })
}

/// For each query (concatenated, `dimension` values each), the rows that may be the closest
/// or tie with it, ascending; None when a query does not qualify (not finite, longer than
/// `voice_prefilter::MAX_QUERY_NORM`) or the instructions are missing: the caller then takes
/// another pass.
pub fn candidates(q: &Quantized, queries: &[&[f32]]) -> Option<Vec<Vec<u32>>> {
    if !available() || q.rows == 0 {
        return None;
    }
    let prepared: Vec<Query> = queries
        .iter()
        .map(|v| query(v, q.groups))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(prepared.len());
    for four in prepared.chunks(4) {
        // SAFETY: the instructions were detected above; the kernel reads within `q`'s blocks
        out.extend(unsafe { x86::pass4(q, four) });
    }
    Some(out)
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    pub unsafe fn pass4(_: &super::Quantized, _: &[super::Query]) -> Vec<Vec<u32>> {
        unreachable!("not available off x86-64")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Quantized, Query, LANES};
    use std::arch::x86_64::*;

    /// Up to four queries against every row, two blocks at a time.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub unsafe fn pass4(q: &Quantized, queries: &[Query]) -> Vec<Vec<u32>> {
        let n = queries.len();
        // missing queries repeat the last one (their results are dropped)
        let qs: [&Query; 4] = std::array::from_fn(|k| &queries[k.min(n - 1)]);
        let g = q.groups;
        let mut floor = [f32::NEG_INFINITY; 4];
        let mut kept: [Vec<(u32, f32)>; 4] = Default::default();
        let block_bytes = g * LANES * 4;
        let pairs = q.scale.len() / (2 * LANES);
        for p in 0..pairs {
            let base = q.blocks.as_ptr().add(2 * p * block_bytes);
            let mut acc = [[_mm512_setzero_si512(); 2]; 4];
            for k in 0..g {
                // SAFETY: block pair p holds 2 * g groups of 64 bytes
                let y0 = _mm512_loadu_si512(base.add(k * 64).cast());
                let y1 = _mm512_loadu_si512(base.add(block_bytes + k * 64).cast());
                for (acc, query) in acc.iter_mut().zip(qs) {
                    // SAFETY: the query holds g * 4 bytes
                    let x = _mm512_set1_epi32(std::ptr::read_unaligned(
                        query.bytes.as_ptr().add(k * 4).cast::<i32>(),
                    ));
                    acc[0] = _mm512_dpbusd_epi32(acc[0], x, y0);
                    acc[1] = _mm512_dpbusd_epi32(acc[1], x, y1);
                }
            }
            for (half, first) in [(0, 2 * p * LANES), (1, (2 * p + 1) * LANES)] {
                let scale = _mm512_loadu_ps(q.scale.as_ptr().add(first));
                let sum8 = _mm512_loadu_si512(q.sum8.as_ptr().add(first).cast());
                let residual = _mm512_loadu_ps(q.residual.as_ptr().add(first));
                let offset = _mm512_slli_epi32::<7>(sum8);
                for (k, query) in qs.iter().enumerate().take(n) {
                    let int = _mm512_sub_epi32(acc[k][half], offset);
                    let a = _mm512_mul_ps(
                        _mm512_cvtepi32_ps(int),
                        _mm512_mul_ps(scale, _mm512_set1_ps(query.scale)),
                    );
                    let delta = _mm512_fmadd_ps(
                        _mm512_set1_ps(query.a),
                        residual,
                        _mm512_set1_ps(query.rest),
                    );
                    let upper = _mm512_add_ps(a, delta);
                    let mask = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(upper, _mm512_set1_ps(floor[k]));
                    if mask == 0 {
                        continue;
                    }
                    let mut up = [0f32; LANES];
                    let mut lo = [0f32; LANES];
                    _mm512_storeu_ps(up.as_mut_ptr(), upper);
                    _mm512_storeu_ps(lo.as_mut_ptr(), _mm512_sub_ps(a, delta));
                    for lane in 0..LANES {
                        let row = first + lane;
                        if mask & (1 << lane) != 0 && row < q.rows && up[lane] >= floor[k] {
                            kept[k].push((row as u32, up[lane]));
                            floor[k] = floor[k].max(lo[lane]);
                        }
                    }
                    if kept[k].len() > 4096 {
                        let f = floor[k];
                        kept[k].retain(|&(_, u)| u >= f);
                    }
                }
            }
        }
        kept.into_iter()
            .zip(floor)
            .take(n)
            .map(|(kept, f)| {
                kept.into_iter()
                    .filter(|&(_, u)| u >= f)
                    .map(|(r, _)| r)
                    .collect()
            })
            .collect()
    }
}
