//! The first pass of the exact nearest-voiceprint search: approximate dot products with fused
//! multiply-adds (AVX-512 or AVX2 with FMA, detected at run time), and how far they can be from
//! the exact ones.
//!
//! [`crate::voice::dot`] fixes one order of multiplies and adds (no fused multiply-add), and
//! every score is that value, bit for bit. Computing it for every stored voice caps a search at
//! about one multiply-add per lane per cycle. The search instead computes, for each row, an
//! approximation `a` of the same dot product in whatever order is fastest, and keeps the rows
//! whose `a` is within twice the [`Bound`] of the best `a`. Only those rows then get the exact
//! `dot`, in the original row order. That is exact:
//!
//! Both `a` and `dot` are floating-point evaluations of Σ qᵢxᵢ over the same n products. Each
//! differs from the real sum by at most γₙ Σ|qᵢxᵢ|, with γₙ = nu/(1 − nu) and u = 2⁻²⁴, for any
//! order of additions, fused or not (Higham, *Accuracy and Stability of Numerical Algorithms*,
//! §3.1). Σ|qᵢxᵢ| ≤ ‖q‖‖x‖ (Cauchy–Schwarz), and a stored voiceprint has length at most
//! [`ROW_NORM_BOUND`] ([`crate::voice::Index::push`] keeps it within 10⁻⁴ of 1). So
//! |a − dot| ≤ δ = 2γₙ‖q‖·ROW_NORM_BOUND, plus the products' underflow. If row m has the
//! largest `a` and row r* the largest `dot`:
//! a(r*) ≥ dot(r*) − δ ≥ dot(m) − δ ≥ a(m) − 2δ. So r*, and any row tied with it, is kept.

/// A stored voiceprint's largest length: [`crate::voice::Index::push`] keeps lengths within
/// `UNIT_TOLERANCE` (10⁻⁴) of 1 and rescales the others; the margin covers the rescaling's
/// rounding.
pub const ROW_NORM_BOUND: f64 = 1.001;

/// The fast kernels this processor has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Avx512,
    Avx2Fma,
}

/// The fastest kernel available, if any (then the search has a first pass).
pub fn kernel() -> Option<Kernel> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some(Kernel::Avx512);
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Some(Kernel::Avx2Fma);
        }
    }
    None
}

/// Every kernel this processor has (tests compare each with the exact search).
pub fn kernels() -> Vec<Kernel> {
    let mut all = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            all.push(Kernel::Avx512);
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            all.push(Kernel::Avx2Fma);
        }
    }
    all
}

/// The longest query the first pass takes. Queries are unit vectors; a longer one (only a
/// direct call of the internal search can pass one) goes to the exact scan, so no
/// approximation can overflow and the f32 rounding of `best - 2δ` (`best` at most
/// 2 × [`ROW_NORM_BOUND`], one unit in the last place under 2.5·10⁻⁷) stays within the margin
/// [`bound`] adds.
pub const MAX_QUERY_NORM: f64 = 2.0;

/// δ for a query: the most an approximate dot product of `query` with a stored row can differ
/// from [`crate::voice::dot`]'s. None when the query is not finite or longer than
/// [`MAX_QUERY_NORM`] (the search then computes every `dot`).
pub fn bound(query: &[f32]) -> Option<f32> {
    if query.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let n = query.len() as f64;
    let u = f64::from(f32::EPSILON) / 2.0;
    let gamma = n * u / (1.0 - n * u);
    let norm = query
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm > MAX_QUERY_NORM {
        return None;
    }
    // both evaluations' errors, and each product's absolute error should it underflow
    let delta = 2.0 * gamma * norm * ROW_NORM_BOUND + 2.0 * n * f64::from(f32::MIN_POSITIVE);
    // rounded up to f32, and the f32 subtraction of 2δ from the best approximation, which
    // rounds too, covered by a margin of a few units in the last place
    Some((delta * 1.01) as f32 + f32::EPSILON * 4.0)
}

/// Approximate dot products of two queries with each row (`out[k][j]` for query k, row j).
pub fn dots2(kernel: Kernel, q: [&[f32]; 2], rows: &[&[f32]], out: [&mut [f32]; 2]) {
    let [o0, o1] = out;
    let mut groups = rows.chunks_exact(4);
    let mut j = 0;
    for g in groups.by_ref() {
        let r = [g[0], g[1], g[2], g[3]];
        // SAFETY: `kernel` was detected on this processor (`kernel`, `kernels`); the kernels
        // read only within the slices
        let [c0, c1] = unsafe {
            match kernel {
                Kernel::Avx512 => x86::dots_avx512(q, r),
                Kernel::Avx2Fma => x86::dots_avx2(q, r),
            }
        };
        o0[j..j + 4].copy_from_slice(&c0);
        o1[j..j + 4].copy_from_slice(&c1);
        j += 4;
    }
    for row in groups.remainder() {
        o0[j] = crate::voice::dot(q[0], row);
        o1[j] = crate::voice::dot(q[1], row);
        j += 1;
    }
}

/// Approximate dot products of one query with each row (eight rows at a time: as many
/// independent accumulators as `dots2`'s two by four).
pub fn dots1(kernel: Kernel, q: &[f32], rows: &[&[f32]], out: &mut [f32]) {
    let mut groups = rows.chunks_exact(8);
    let mut j = 0;
    for g in groups.by_ref() {
        let r: [&[f32]; 8] = std::array::from_fn(|k| g[k]);
        // SAFETY: as in `dots2`
        let [c] = unsafe {
            match kernel {
                Kernel::Avx512 => x86::dots_avx512([q], r),
                Kernel::Avx2Fma => x86::dots_avx2([q], r),
            }
        };
        out[j..j + 8].copy_from_slice(&c);
        j += 8;
    }
    for row in groups.remainder() {
        out[j] = crate::voice::dot(q, row);
        j += 1;
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    pub unsafe fn dots_avx512<const Q: usize, const R: usize>(
        _: [&[f32]; Q],
        _: [&[f32]; R],
    ) -> [[f32; R]; Q] {
        unreachable!("no kernel is detected off x86-64")
    }
    pub unsafe fn dots_avx2<const Q: usize, const R: usize>(
        _: [&[f32]; Q],
        _: [&[f32]; R],
    ) -> [[f32; R]; Q] {
        unreachable!("no kernel is detected off x86-64")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// The plain sum of the tail past the last full vector.
    fn tail(q: &[f32], row: &[f32], from: usize) -> f32 {
        q[from..].iter().zip(&row[from..]).map(|(a, b)| a * b).sum()
    }

    /// Q queries by R rows (Q·R accumulators), sixteen lanes, fused multiply-adds.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn dots_avx512<const Q: usize, const R: usize>(
        q: [&[f32]; Q],
        rows: [&[f32]; R],
    ) -> [[f32; R]; Q] {
        let n = rows[0].len();
        if q.iter().chain(&rows).any(|r| r.len() != n) {
            return q.map(|q| rows.map(|r| crate::voice::dot(q, r)));
        }
        let chunks = n / 16;
        let mut acc = [[_mm512_setzero_ps(); R]; Q];
        for c in 0..chunks {
            // SAFETY: c * 16 + 16 <= n, within every slice (all of length n)
            let x = q.map(|q| unsafe { _mm512_loadu_ps(q.as_ptr().add(c * 16)) });
            for (k, row) in rows.iter().enumerate() {
                let y = unsafe { _mm512_loadu_ps(row.as_ptr().add(c * 16)) };
                for (acc, x) in acc.iter_mut().zip(x) {
                    acc[k] = _mm512_fmadd_ps(x, y, acc[k]);
                }
            }
        }
        let mut out = [[0f32; R]; Q];
        for (qi, (o, acc)) in out.iter_mut().zip(acc).enumerate() {
            for (k, (o, acc)) in o.iter_mut().zip(acc).enumerate() {
                *o = _mm512_reduce_add_ps(acc) + tail(q[qi], rows[k], chunks * 16);
            }
        }
        out
    }

    /// Q queries by R rows, eight lanes, fused multiply-adds.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dots_avx2<const Q: usize, const R: usize>(
        q: [&[f32]; Q],
        rows: [&[f32]; R],
    ) -> [[f32; R]; Q] {
        let n = rows[0].len();
        if q.iter().chain(&rows).any(|r| r.len() != n) {
            return q.map(|q| rows.map(|r| crate::voice::dot(q, r)));
        }
        let chunks = n / 8;
        let mut acc = [[_mm256_setzero_ps(); R]; Q];
        for c in 0..chunks {
            // SAFETY: c * 8 + 8 <= n, within every slice (all of length n)
            let x = q.map(|q| unsafe { _mm256_loadu_ps(q.as_ptr().add(c * 8)) });
            for (k, row) in rows.iter().enumerate() {
                let y = unsafe { _mm256_loadu_ps(row.as_ptr().add(c * 8)) };
                for (acc, x) in acc.iter_mut().zip(x) {
                    acc[k] = _mm256_fmadd_ps(x, y, acc[k]);
                }
            }
        }
        let mut out = [[0f32; R]; Q];
        for (qi, (o, acc)) in out.iter_mut().zip(acc).enumerate() {
            for (k, (o, acc)) in o.iter_mut().zip(acc).enumerate() {
                let mut lanes = [0f32; 8];
                // SAFETY: lanes holds 8 floats
                unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
                *o = lanes.iter().sum::<f32>() + tail(q[qi], rows[k], chunks * 8);
            }
        }
        out
    }
}
