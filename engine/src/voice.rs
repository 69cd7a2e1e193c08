//! Voice ID: voiceprints (speaker embeddings), their similarity score, nearest-neighbour search
//! over a domain's fraudsters, and the authentication / fraud-detection decisions.
//!
//! Embeddings come from any speaker-embedding model outside the database. They are stored
//! L2-normalised, so cosine similarity is a dot product. A domain's calibration maps cosine to
//! Voice ID's 0-100 score linearly through two anchors, `cos_at_50` and `cos_at_90`, clamped.
//! The fraud and duplicate checks score the *closest* of N voiceprints, so for watchlists larger
//! than Voice ID's 500 the cosine is first shifted by [`Cohort::shift`] (docs/voice-id.md,
//! "Large watchlists"): the score then means the same at any watchlist size.

use std::sync::Arc;

use crate::voice_file::Snapshot;
use crate::voice_int8::{self, Quantized};
use crate::voice_prefilter as prefilter;

/// Why an embedding was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingError(pub String);

/// Checks an embedding against the domain's dimension and scales it to unit length.
pub fn normalize(v: &[f32], dimension: usize) -> Result<Vec<f32>, EmbeddingError> {
    if v.len() != dimension {
        return Err(EmbeddingError(format!(
            "has {} dimensions, the domain's embeddings have {dimension}",
            v.len()
        )));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(EmbeddingError(format!(
            "element {} is {} (must be a finite number)",
            i + 1,
            v[i]
        )));
    }
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Err(EmbeddingError(
            "is the zero vector (it has no direction)".into(),
        ));
    }
    Ok(v.iter().map(|&x| (f64::from(x) / norm) as f32).collect())
}

/// Cosine similarity of two unit vectors.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // eight independent accumulators let the compiler vectorise the loop
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for i in chunks * 8..a.len() {
        sum += a[i] * b[i];
    }
    sum
}

/// `out[k]` = [`dot`]`(query, row k)` for each row, bit for bit: on x86-64 with AVX (detected
/// at run time) one 8-lane multiply and one 8-lane add per 8 elements are exactly `dot`'s eight
/// accumulators (no fused multiply-add, which would round differently), summed and finished
/// the same way; four rows at a time, so that four independent additions are in flight instead
/// of one chain waiting on itself. Elsewhere `dot` itself.
fn dots_block(query: &[f32], rows: &[&[f32]], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            let mut groups = rows.chunks_exact(4);
            let mut k = 0;
            for g in groups.by_ref() {
                // SAFETY: AVX is available (checked above); dot4_avx reads only within the slices
                let c = unsafe { dot4_avx(query, [g[0], g[1], g[2], g[3]]) };
                out[k..k + 4].copy_from_slice(&c);
                k += 4;
            }
            for row in groups.remainder() {
                out[k] = dot(query, row);
                k += 1;
            }
            return;
        }
    }
    for (row, o) in rows.iter().zip(out.iter_mut()) {
        *o = dot(query, row);
    }
}

/// [`dots_block`] for two queries at once: each row is loaded once for both (with AVX, two
/// queries by four rows: eight independent accumulators).
fn dots_block2(queries: [&[f32]; 2], rows: &[&[f32]], out: [&mut [f32]; 2]) {
    let [out0, out1] = out;
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            let mut groups = rows.chunks_exact(4);
            let mut k = 0;
            for g in groups.by_ref() {
                // SAFETY: AVX is available (checked above); dot2x4_avx reads only within the
                // slices
                let [c0, c1] = unsafe { dot2x4_avx(queries, [g[0], g[1], g[2], g[3]]) };
                out0[k..k + 4].copy_from_slice(&c0);
                out1[k..k + 4].copy_from_slice(&c1);
                k += 4;
            }
            for row in groups.remainder() {
                out0[k] = dot(queries[0], row);
                out1[k] = dot(queries[1], row);
                k += 1;
            }
            return;
        }
    }
    for (k, row) in rows.iter().enumerate() {
        out0[k] = dot(queries[0], row);
        out1[k] = dot(queries[1], row);
    }
}

/// [`dot`] of two queries with four rows each, with AVX intrinsics: per pair the same eight
/// accumulators and the same order of operations as `dot`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn dot2x4_avx(q: [&[f32]; 2], rows: [&[f32]; 4]) -> [[f32; 4]; 2] {
    use std::arch::x86_64::*;
    let n = q[0].len();
    if q[1].len() != n || rows.iter().any(|r| r.len() != n) {
        return [rows.map(|r| dot(q[0], r)), rows.map(|r| dot(q[1], r))];
    }
    let chunks = n / 8;
    let mut acc0 = [_mm256_setzero_ps(); 4];
    let mut acc1 = [_mm256_setzero_ps(); 4];
    for c in 0..chunks {
        // SAFETY: c * 8 + 8 <= n, within every slice (all of length n)
        let x0 = unsafe { _mm256_loadu_ps(q[0].as_ptr().add(c * 8)) };
        let x1 = unsafe { _mm256_loadu_ps(q[1].as_ptr().add(c * 8)) };
        for ((a0, a1), row) in acc0.iter_mut().zip(acc1.iter_mut()).zip(rows) {
            let y = unsafe { _mm256_loadu_ps(row.as_ptr().add(c * 8)) };
            *a0 = _mm256_add_ps(*a0, _mm256_mul_ps(x0, y));
            *a1 = _mm256_add_ps(*a1, _mm256_mul_ps(x1, y));
        }
    }
    let mut out = [[0f32; 4]; 2];
    for ((o, acc), query) in out.iter_mut().zip([acc0, acc1]).zip(q) {
        for ((o, acc), row) in o.iter_mut().zip(acc).zip(rows) {
            let mut lanes = [0f32; 8];
            // SAFETY: lanes holds 8 floats
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
            let mut sum: f32 = lanes.iter().sum();
            for i in chunks * 8..n {
                sum += query[i] * row[i];
            }
            *o = sum;
        }
    }
    out
}

/// [`dot`] of `a` with four rows, with AVX intrinsics: per row the same eight accumulators and
/// the same order of operations as `dot`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn dot4_avx(a: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
    use std::arch::x86_64::*;
    let n = a.len();
    if rows.iter().any(|r| r.len() != n) {
        return rows.map(|r| dot(a, r));
    }
    let chunks = n / 8;
    let mut acc = [_mm256_setzero_ps(); 4];
    for c in 0..chunks {
        // SAFETY: c * 8 + 8 <= n, within every slice (all of length n)
        let x = unsafe { _mm256_loadu_ps(a.as_ptr().add(c * 8)) };
        for (acc, row) in acc.iter_mut().zip(rows) {
            let y = unsafe { _mm256_loadu_ps(row.as_ptr().add(c * 8)) };
            *acc = _mm256_add_ps(*acc, _mm256_mul_ps(x, y));
        }
    }
    let mut out = [0f32; 4];
    for ((o, acc), row) in out.iter_mut().zip(acc).zip(rows) {
        let mut lanes = [0f32; 8];
        // SAFETY: lanes holds 8 floats
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        let mut sum: f32 = lanes.iter().sum();
        for i in chunks * 8..n {
            sum += a[i] * row[i];
        }
        *o = sum;
    }
    out
}

/// Default cosine that scores 50 (Voice ID's default fraud risk threshold); docs/voice-id.md
/// says why. The SQL column and function defaults (sql/catalog.sql, sql/voice.sql) repeat it;
/// a `#[pg_test]` (src/tests.rs) keeps them in step.
pub const DEFAULT_COS_AT_50: f32 = 0.35;
/// Default cosine that scores 90 (Voice ID's default authentication threshold); as above.
pub const DEFAULT_COS_AT_90: f32 = 0.60;

/// The cosine-to-score map of a domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub cos_at_50: f32,
    pub cos_at_90: f32,
}

impl Default for Calibration {
    /// [`DEFAULT_COS_AT_50`] scores 50 and [`DEFAULT_COS_AT_90`] scores 90.
    fn default() -> Self {
        Calibration {
            cos_at_50: DEFAULT_COS_AT_50,
            cos_at_90: DEFAULT_COS_AT_90,
        }
    }
}

impl Calibration {
    /// The 0-100 score of a cosine similarity.
    pub fn score(&self, cos: f32) -> i32 {
        let s = 50.0 + 40.0 * (cos - self.cos_at_50) / (self.cos_at_90 - self.cos_at_50);
        s.round().clamp(0.0, 100.0) as i32
    }
}

/// How far from 1 the length of a stored voiceprint may be before [`Index::push`] rescales
/// it: far above what [`normalize`]'s f32 rounding leaves (about 1e-7 per element).
pub const UNIT_TOLERANCE: f64 = 1e-4;

/// A domain's voiceprints as one contiguous matrix (row i = voiceprint i), with their ids:
/// built in memory, or read from a file every backend maps ([`crate::voice_file`]). A mapped
/// index is copied into memory by the first change made to it.
#[derive(Debug, Clone)]
pub struct Index {
    pub dimension: usize,
    rows: Rows,
    /// The rows in 8 bits for a whole-domain search's first pass (`crate::voice_int8`),
    /// made by the first such search, dropped by any change.
    quantized: std::sync::OnceLock<Quantized>,
}

#[derive(Debug, Clone)]
enum Rows {
    Owned { ids: Vec<String>, data: Vec<f32> },
    Mapped(Arc<Snapshot>),
}

impl Index {
    pub fn new(dimension: usize) -> Self {
        Index {
            dimension,
            rows: Rows::Owned {
                ids: Vec::new(),
                data: Vec::new(),
            },
            quantized: Default::default(),
        }
    }

    /// The index of a mapped file: its rows, nothing copied.
    pub fn mapped(snapshot: Arc<Snapshot>) -> Self {
        Index {
            dimension: snapshot.dimension,
            rows: Rows::Mapped(snapshot),
            quantized: Default::default(),
        }
    }

    /// Whether the rows are a mapped file's.
    pub fn is_mapped(&self) -> bool {
        matches!(self.rows, Rows::Mapped(_))
    }

    /// The ids and the matrix, in memory (a mapped file's are copied first).
    fn owned(&mut self) -> (&mut Vec<String>, &mut Vec<f32>) {
        if let Rows::Mapped(s) = &self.rows {
            let ids = (0..s.rows).map(|i| s.id(i).to_string()).collect();
            let data = s.matrix().to_vec();
            self.rows = Rows::Owned { ids, data };
        }
        match &mut self.rows {
            Rows::Owned { ids, data } => (ids, data),
            Rows::Mapped(_) => unreachable!("copied above"),
        }
    }

    fn data(&self) -> &[f32] {
        match &self.rows {
            Rows::Owned { data, .. } => data,
            Rows::Mapped(s) => s.matrix(),
        }
    }

    /// Row `i`'s id.
    pub fn id(&self, i: usize) -> &str {
        match &self.rows {
            Rows::Owned { ids, .. } => &ids[i],
            Rows::Mapped(s) => s.id(i),
        }
    }

    /// Adds a stored voiceprint; returns its row. The catalog holds unit vectors of the
    /// domain's dimension, but its rows can be written by hand: one row with a NaN would win
    /// every search (a NaN cosine is never beaten, and scores 0: every caller LOW_RISK), one
    /// with an infinity or a huge length would match every caller (HIGH_RISK). So a voiceprint
    /// of another dimension, with an element that is not finite, or with no direction is
    /// refused (`None`, nothing added), and one whose length is not 1 (within
    /// [`UNIT_TOLERANCE`]) is scaled to it; a unit vector is kept exactly as stored.
    pub fn push(&mut self, id: String, voiceprint: &[f32]) -> Option<usize> {
        if voiceprint.len() != self.dimension || voiceprint.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let norm = voiceprint
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        let unit = if (norm - 1.0).abs() <= UNIT_TOLERANCE {
            None
        } else {
            Some(normalize(voiceprint, self.dimension).ok()?)
        };
        let stored = unit.as_deref().unwrap_or(voiceprint);
        let (ids, data) = self.owned();
        data.extend_from_slice(stored);
        ids.push(id);
        let row = ids.len() - 1;
        if let Some(q) = self.quantized.get_mut() {
            q.set(row, stored);
        }
        Some(row)
    }

    /// Replaces row `i`'s voiceprint with `v`, a vector as [`Index::push`] stores it (the
    /// caller checked it with `push`); a vector of another length is ignored.
    pub fn set_row(&mut self, i: usize, v: &[f32]) {
        let d = self.dimension;
        if v.len() == d && i < self.len() {
            self.owned().1[i * d..(i + 1) * d].copy_from_slice(v);
            if let Some(q) = self.quantized.get_mut() {
                q.set(i, v);
            }
        }
    }

    /// Keeps the rows for which `keep(row)` holds, in their order; returns each old row's new
    /// row (`u32::MAX` for a dropped one).
    pub fn retain_rows(&mut self, keep: impl Fn(usize) -> bool) -> Vec<u32> {
        let d = self.dimension;
        let mut map = vec![u32::MAX; self.len()];
        self.quantized = Default::default();
        let (ids, data) = self.owned();
        let mut next = 0usize;
        for (i, slot) in map.iter_mut().enumerate() {
            if keep(i) {
                if next != i {
                    data.copy_within(i * d..(i + 1) * d, next * d);
                    ids.swap(next, i);
                }
                *slot = next as u32;
                next += 1;
            }
        }
        data.truncate(next * d);
        ids.truncate(next);
        map
    }

    pub fn len(&self) -> usize {
        match &self.rows {
            Rows::Owned { ids, .. } => ids.len(),
            Rows::Mapped(s) => s.rows,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data()[i * self.dimension..(i + 1) * self.dimension]
    }

    /// The most similar voiceprint among `rows` (every row when `None`): (row, cosine).
    /// Ties go to the earlier row, so results are deterministic.
    pub fn nearest(&self, query: &[f32], rows: Option<&[u32]>) -> Option<(usize, f32)> {
        if query.len() == self.dimension && self.dimension > 0 && prefilter::kernel().is_some() {
            // the two-pass search (nearest_many's), the same result
            return self.nearest_many(query, rows).pop().flatten();
        }
        self.nearest_exact(query, rows)
    }

    /// [`Index::nearest`] with [`dot`] for every row.
    fn nearest_exact(&self, query: &[f32], rows: Option<&[u32]>) -> Option<(usize, f32)> {
        match rows {
            Some(rows) => self.closest_of(query, rows.iter().copied()),
            None => self.closest_of(query, 0..self.len() as u32),
        }
    }

    /// The row of `rows` (in their order) whose [`dot`] with `query` is largest, the earlier
    /// one on a tie, and that cosine.
    fn closest_of(
        &self,
        query: &[f32],
        rows: impl IntoIterator<Item = u32>,
    ) -> Option<(usize, f32)> {
        let mut best: Option<(usize, f32)> = None;
        for i in rows {
            let c = dot(query, self.row(i as usize));
            if best.is_none_or(|(_, b)| c > b) {
                best = Some((i as usize, c));
            }
        }
        best
    }

    /// [`Index::nearest`] for each of `queries` (concatenated, [`Index::dimension`] values
    /// each; a shorter remainder is ignored), in one pass over the matrix: the rows are read in
    /// blocks that stay in the cache while every query is compared with them, so a batch of
    /// queries costs about one scan of memory instead of one per query (a fraudster
    /// registration job checks its whole batch this way). The results are bit for bit what
    /// [`dot`] of every row gives, ties going to the earlier row: where the processor has
    /// fused multiply-adds (AVX-512, AVX2), a first pass approximates every cosine with them
    /// and only the rows that can still be the closest get `dot` (`crate::voice_prefilter`
    /// proves the bound); elsewhere every cosine is `dot`'s arithmetic (see [`dots_block`]).
    pub fn nearest_many(&self, queries: &[f32], rows: Option<&[u32]>) -> Vec<Option<(usize, f32)>> {
        // rows that fit the L1 data cache (32 KB and up on current x86-64) with room to spare:
        // each is then read from memory once per batch and from L1 once per query
        let block = (24 * 1024 / (4 * self.dimension.max(1))).max(4) / 4 * 4;
        self.nearest_many_blocked(queries, rows, block)
    }

    /// [`Index::nearest_many`] with blocks of `block` rows.
    pub fn nearest_many_blocked(
        &self,
        queries: &[f32],
        rows: Option<&[u32]>,
        block: usize,
    ) -> Vec<Option<(usize, f32)>> {
        self.nearest_many_with(queries, rows, block, prefilter::kernel(), true)
    }

    /// [`Index::nearest_many_blocked`] with a first pass by `kernel` (None: [`dot`] for every
    /// row), or, with `int8`, for a whole-domain search where the processor has AVX-512 VNNI, a
    /// first pass in 8-bit integers (`crate::voice_int8`).
    fn nearest_many_with(
        &self,
        queries: &[f32],
        rows: Option<&[u32]>,
        block: usize,
        kernel: Option<prefilter::Kernel>,
        int8: bool,
    ) -> Vec<Option<(usize, f32)>> {
        let block = block.max(1);
        let d = self.dimension;
        if d == 0 {
            return Vec::new();
        }
        let queries: Vec<&[f32]> = queries.chunks_exact(d).collect();
        if int8 && rows.is_none() && voice_int8::available() && !queries.is_empty() {
            let quantized = self
                .quantized
                .get_or_init(|| Quantized::new(self.data(), d));
            if let Some(candidates) = voice_int8::candidates(quantized, &queries) {
                return queries
                    .iter()
                    .zip(candidates)
                    .map(|(q, rows)| self.closest_of(q, rows))
                    .collect();
            }
        }
        let mut best: Vec<Option<(usize, f32)>> = vec![None; queries.len()];
        let all: Vec<u32>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..self.len() as u32).collect();
                &all
            }
        };
        if let Some(kernel) = kernel {
            let bounds: Option<Vec<f32>> = queries.iter().map(|q| prefilter::bound(q)).collect();
            if let Some(bounds) = bounds {
                return self.nearest_prefiltered(kernel, &queries, &bounds, rows, block);
            }
        }
        self.scan_blocks(
            &queries,
            rows,
            block,
            dots_block2,
            dots_block,
            |k, rb, cos| {
                for (&i, &c) in rb.iter().zip(cos) {
                    if best[k].is_none_or(|(_, b)| c > b) {
                        best[k] = Some((i as usize, c));
                    }
                }
            },
        );
        best
    }

    /// Walks `rows` in blocks of `block` (rows that stay in the cache while every query is
    /// compared with them), computing each block's cosines with the queries two at a time (they
    /// share every row they read) by `two`, an odd last one by `one`, and hands each query's
    /// cosines to `take(query, the block's rows, their cosines)`.
    fn scan_blocks(
        &self,
        queries: &[&[f32]],
        rows: &[u32],
        block: usize,
        two: impl Fn([&[f32]; 2], &[&[f32]], [&mut [f32]; 2]),
        one: impl Fn(&[f32], &[&[f32]], &mut [f32]),
        mut take: impl FnMut(usize, &[u32], &[f32]),
    ) {
        let mut cos = vec![0f32; block];
        let mut cos2 = vec![0f32; block];
        let mut matrix: Vec<&[f32]> = Vec::with_capacity(block);
        for rb in rows.chunks(block) {
            matrix.clear();
            matrix.extend(rb.iter().map(|&i| self.row(i as usize)));
            let n = rb.len();
            let mut k = 0;
            while k + 1 < queries.len() {
                two(
                    [queries[k], queries[k + 1]],
                    &matrix,
                    [&mut cos[..], &mut cos2[..]],
                );
                take(k, rb, &cos[..n]);
                take(k + 1, rb, &cos2[..n]);
                k += 2;
            }
            if k < queries.len() {
                one(queries[k], &matrix, &mut cos);
                take(k, rb, &cos[..n]);
            }
        }
    }

    /// [`Index::nearest_many_blocked`] in two passes (`crate::voice_prefilter` says why this
    /// is exact): approximate cosines of every row with `kernel`, keeping per query the rows
    /// within twice its bound of its best approximation, then [`dot`] of those rows only, in
    /// the order of `rows`, ties going to the earlier row.
    fn nearest_prefiltered(
        &self,
        kernel: prefilter::Kernel,
        queries: &[&[f32]],
        bounds: &[f32],
        rows: &[u32],
        block: usize,
    ) -> Vec<Option<(usize, f32)>> {
        // per query: the best approximation so far, and the rows within 2δ of it when seen
        // (with their approximation: the final best filters them again)
        let mut best = vec![f32::NEG_INFINITY; queries.len()];
        let mut kept: Vec<Vec<(u32, f32)>> = vec![Vec::new(); queries.len()];
        self.scan_blocks(
            queries,
            rows,
            block,
            |q, m, o| prefilter::dots2(kernel, q, m, o),
            |q, m, o| prefilter::dots1(kernel, q, m, o),
            |k, rb, cos| {
                let (best, kept, bound) = (&mut best[k], &mut kept[k], bounds[k]);
                for (&i, &c) in rb.iter().zip(cos) {
                    if c >= *best - 2.0 * bound {
                        kept.push((i, c));
                        *best = best.max(c);
                    }
                }
                // rows met in rising order of similarity would all be kept: drop those the
                // best so far already excludes
                if kept.len() > 4096 {
                    let floor = *best - 2.0 * bound;
                    kept.retain(|&(_, a)| a >= floor);
                }
            },
        );
        queries
            .iter()
            .zip(kept)
            .zip(best.iter().zip(bounds))
            .map(|((q, kept), (&best, &bound))| {
                let floor = best - 2.0 * bound;
                self.closest_of(
                    q,
                    kept.into_iter()
                        .filter(|&(_, a)| a >= floor)
                        .map(|(i, _)| i),
                )
            })
            .collect()
    }

    /// The cosines of [`COHORT_PAIRS`] pairs of distinct voiceprints (every pair when there are
    /// fewer), chosen by a fixed pseudo-random sequence, summarised as a [`Cohort`]; `None`
    /// with fewer than two voiceprints.
    pub fn cohort(&self) -> Option<Cohort> {
        let n = self.len();
        // a handful of voices says little about unrelated voices in general, and a wrong, wide
        // cohort would hide real matches: no normalisation until the domain has enough
        if n < MIN_COHORT_VOICES {
            return None;
        }
        let all_pairs = n * (n - 1) / 2;
        let mut cosines = Vec::with_capacity(all_pairs.min(COHORT_PAIRS));
        if all_pairs <= COHORT_PAIRS {
            for i in 0..n {
                for j in i + 1..n {
                    cosines.push(f64::from(dot(self.row(i), self.row(j))));
                }
            }
        } else {
            let mut state = 0x5eed_u64;
            for _ in 0..COHORT_PAIRS {
                let i = (splitmix64(&mut state) % n as u64) as usize;
                let mut j = (splitmix64(&mut state) % (n as u64 - 1)) as usize;
                if j >= i {
                    j += 1;
                }
                cosines.push(f64::from(dot(self.row(i), self.row(j))));
            }
        }
        Cohort::from_cosines(&mut cosines)
    }
}

/// The watchlist size Voice ID's defaults were set for (its quota of fraudsters per watchlist):
/// up to this many voices, the fraud and duplicate checks use the plain cosine-to-score map.
pub const REFERENCE_WATCHLIST_SIZE: usize = 500;

/// How many pairs of distinct voiceprints [`Index::cohort`] compares.
pub const COHORT_PAIRS: usize = 4000;

/// The fewest stored voiceprints a domain needs before its cohort is estimated (and so before
/// any score is normalised for the watchlist's size).
pub const MIN_COHORT_VOICES: usize = 100;

/// The largest shift, in cohort standard deviations. For any sane calibration (the score-50
/// anchor several σ above unrelated voices) the shift stays below 2σ even at 10⁸ voices; the
/// cap bounds what an anchor at or below the unrelated voices' median could ask for.
pub const MAX_SHIFT_SIGMAS: f64 = 3.0;

/// The distribution of cosines between *unrelated* voices, estimated from a domain's own
/// voiceprints: robust location (median) and scale (1.4826 × median absolute deviation, the
/// standard deviation of a normal distribution), so the few pairs that are two recordings of
/// one speaker do not move it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cohort {
    pub location: f64,
    pub scale: f64,
}

impl Cohort {
    /// Median and 1.4826 × MAD of `cosines`; `None` when there are none.
    pub fn from_cosines(cosines: &mut [f64]) -> Option<Cohort> {
        let median = |v: &mut [f64]| -> f64 {
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            }
        };
        if cosines.is_empty() || cosines.iter().any(|c| !c.is_finite()) {
            return None;
        }
        let location = median(cosines);
        let mut deviations: Vec<f64> = cosines.iter().map(|c| (c - location).abs()).collect();
        let scale = 1.4826 * median(&mut deviations);
        Some(Cohort { location, scale })
    }

    /// The cosine shift that makes the score of the best match among `n` unrelated voices
    /// reach 50 as often as it does among [`REFERENCE_WATCHLIST_SIZE`] voices under a
    /// calibration with `cos_at_50`: 0 for `n` up to that size. With unrelated cosines
    /// ~ N(μ, σ²) (μ = `location`, σ = `scale`), t₅₀₀ = (cos_at_50 − μ)/σ and ε = Q(t₅₀₀)
    /// (Q the upper tail of the standard normal), the best of n exceeds a threshold with
    /// probability ≈ n·Q(t) for small tails, so t_n solves Q(t_n) = ε·500/n, and the
    /// shift is σ·(t_n − t₅₀₀). Computed in log space: ε can be far below 1e-300.
    pub fn shift(&self, cos_at_50: f32, n: usize) -> f32 {
        if n <= REFERENCE_WATCHLIST_SIZE
            || !self.scale.is_finite()
            || self.scale <= 1e-12
            || !self.location.is_finite()
        {
            return 0.0;
        }
        let t500 = (f64::from(cos_at_50) - self.location) / self.scale;
        if !t500.is_finite() {
            return 0.0;
        }
        // the best of n stays below t with probability (1 - Q(t))^n; equal to the reference's:
        // ln(1 - Q_n) = (500 / n) ln(1 - Q_500). Where Q_500 is too small for that to be
        // representable, its first-order form Q_n = Q_500 * 500 / n is exact to many digits.
        let ratio = REFERENCE_WATCHLIST_SIZE as f64 / n as f64;
        let ln_q500 = ln_upper_tail(t500);
        let q500 = ln_q500.exp();
        let ln_eps_n = if q500 > 1e-12 {
            (-(ratio * (-q500).ln_1p()).exp_m1()).ln()
        } else {
            ln_q500 + ratio.ln()
        };
        let shift = self.scale * (upper_tail_inverse_ln(ln_eps_n) - t500);
        if shift.is_finite() {
            shift.clamp(0.0, MAX_SHIFT_SIGMAS * self.scale) as f32
        } else {
            0.0
        }
    }
}

/// ln Q(t), Q(t) = P(Z ≥ t) for a standard normal Z, without underflow for any finite t.
/// erfc through the Chebyshev fit of Numerical Recipes (`erfcc`, fractional error below
/// 1.2e-7 everywhere), taken in log space.
pub fn ln_upper_tail(t: f64) -> f64 {
    // ln erfc(z) for z >= 0
    fn ln_erfc(z: f64) -> f64 {
        let u = 1.0 / (1.0 + 0.5 * z);
        let poly = -1.265_512_23
            + u * (1.000_023_68
                + u * (0.374_091_96
                    + u * (0.096_784_18
                        + u * (-0.186_288_06
                            + u * (0.278_868_07
                                + u * (-1.135_203_98
                                    + u * (1.488_515_87
                                        + u * (-0.822_152_23 + u * 0.170_872_77))))))));
        u.ln() - z * z + poly
    }
    let z = t / std::f64::consts::SQRT_2;
    if z >= 0.0 {
        ln_erfc(z) - std::f64::consts::LN_2
    } else {
        // Q(t) = 1 - Q(-t)
        (-(ln_erfc(-z) - std::f64::consts::LN_2).exp()).ln_1p()
    }
}

/// The t with ln Q(t) = `ln_p` (`ln_p` < 0): Newton's method on the decreasing, concave
/// ln Q, kept inside a bracket that bisection narrows whenever a step leaves it.
pub fn upper_tail_inverse_ln(ln_p: f64) -> f64 {
    if ln_p >= 0.0 {
        return f64::NEG_INFINITY;
    }
    // ln Q(t) < -t²/2 for t > 0 and ln Q(t) > ln(1/2) - t²/2 - ... : this bracket holds the root
    let mut lo = -40.0_f64;
    let mut hi = (-2.0 * ln_p).sqrt() + 2.0;
    let mut t = if ln_p < -0.7 {
        (-2.0 * ln_p).sqrt() - 1.0
    } else {
        0.0
    };
    t = t.clamp(lo, hi);
    for _ in 0..200 {
        let f = ln_upper_tail(t) - ln_p;
        if f.abs() < 1e-13 {
            break;
        }
        if f > 0.0 {
            lo = t; // ln Q(t) too large: the root is to the right
        } else {
            hi = t;
        }
        // d/dt ln Q(t) = -φ(t)/Q(t)
        let ln_phi = -0.5 * t * t - 0.5 * (2.0 * std::f64::consts::PI).ln();
        let slope = -(ln_phi - ln_upper_tail(t)).exp();
        let next = t - f / slope;
        t = if next.is_finite() && next > lo && next < hi {
            next
        } else {
            (lo + hi) / 2.0
        };
        if hi - lo < 1e-12 {
            break;
        }
    }
    t
}

/// SplitMix64: the deterministic sequence [`Index::cohort`] samples pairs with.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// AuthenticationResult.Decision.
pub fn authentication_decision(
    speaker_given: bool,
    speaker_status: Option<&str>,
    enough_speech: bool,
    score: Option<i32>,
    threshold: i32,
) -> &'static str {
    if !speaker_given {
        return "SPEAKER_ID_NOT_PROVIDED";
    }
    match speaker_status {
        None | Some("PENDING") => "SPEAKER_NOT_ENROLLED",
        Some("OPTED_OUT") => "SPEAKER_OPTED_OUT",
        Some("EXPIRED") => "SPEAKER_EXPIRED",
        _ if !enough_speech => "NOT_ENOUGH_SPEECH",
        _ => match score {
            Some(s) if s >= threshold => "ACCEPT",
            _ => "REJECT",
        },
    }
}

/// FraudDetectionResult.Decision and Reasons: HIGH_RISK when the closest fraudster's score or
/// the caller's voice-spoofing risk reaches the threshold.
pub fn fraud_decision(
    enough_speech: bool,
    known_fraudster_score: i32,
    voice_spoofing_score: i32,
    threshold: i32,
) -> (&'static str, Vec<&'static str>) {
    if !enough_speech {
        return ("NOT_ENOUGH_SPEECH", Vec::new());
    }
    let mut reasons = Vec::new();
    if known_fraudster_score >= threshold {
        reasons.push("KNOWN_FRAUDSTER");
    }
    if voice_spoofing_score >= threshold {
        reasons.push("VOICE_SPOOFING");
    }
    (
        if reasons.is_empty() {
            "LOW_RISK"
        } else {
            "HIGH_RISK"
        },
        reasons,
    )
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A 22-character Voice ID identifier derived from `parts`: the same parts always give the
/// same id (EvaluateSession's cached results), different parts practically never do (128 bits
/// of two FNV-1a hashes).
pub fn derived_id(parts: &[&[u8]]) -> String {
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h2: u64 = 0x6c62_272e_07bb_0142;
    for p in parts {
        for &b in p.iter().chain(&[0xff_u8]) {
            h1 = (h1 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            h2 = (h2 ^ u64::from(b))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    }
    let mut n = (u128::from(h1) << 64) | u128::from(h2);
    let mut out = [b'0'; 22];
    for c in out.iter_mut().rev() {
        *c = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ix: &Index) -> Vec<&str> {
        (0..ix.len()).map(|i| ix.id(i)).collect()
    }

    #[test]
    fn normalize_checks_and_scales() {
        assert_eq!(normalize(&[3.0, 4.0], 2).unwrap(), vec![0.6, 0.8]);
        assert!(normalize(&[1.0], 2)
            .unwrap_err()
            .0
            .contains("has 1 dimensions"));
        assert!(normalize(&[1.0, f32::NAN], 2)
            .unwrap_err()
            .0
            .contains("element 2"));
        assert!(normalize(&[0.0, 0.0], 2)
            .unwrap_err()
            .0
            .contains("zero vector"));
    }

    #[test]
    fn the_index_never_holds_a_vector_that_corrupts_searches() {
        let q = normalize(&[1.0, 0.2], 2).unwrap();
        let mut ix = Index::new(2);
        // written straight into the catalog: each would have won every search (NaN, as the
        // first row, is never beaten) or matched every caller (an infinity, a huge length)
        assert_eq!(ix.push("nan".into(), &[f32::NAN, 0.0]), None);
        assert_eq!(ix.push("inf".into(), &[f32::INFINITY, 1.0]), None);
        assert_eq!(ix.push("-inf".into(), &[0.0, f32::NEG_INFINITY]), None);
        assert_eq!(ix.push("zero".into(), &[0.0, 0.0]), None);
        assert_eq!(ix.push("short".into(), &[1.0]), None);
        assert!(ix.is_empty());
        assert_eq!(ix.push("far".into(), &[0.0, 1.0]), Some(0));
        assert_eq!(ix.push("huge".into(), &[3e38, 3e38]), Some(1));
        assert_eq!(
            ix.push("near".into(), &normalize(&[1.0, 0.1], 2).unwrap()),
            Some(2)
        );
        assert_eq!(ids(&ix), ["far", "huge", "near"]);
        // a unit vector is kept exactly; the huge one is scaled to unit length
        assert_eq!(ix.row(2), normalize(&[1.0, 0.1], 2).unwrap().as_slice());
        assert!((dot(ix.row(1), ix.row(1)) - 1.0).abs() < 1e-6);
        let (row, cos) = ix.nearest(&q, None).unwrap();
        assert_eq!(ix.id(row), "near");
        assert!(cos.is_finite() && cos <= 1.0 + 1e-6, "{cos}");
        for i in 0..ix.len() {
            assert!(dot(&q, ix.row(i)).abs() <= 1.0 + 1e-6);
        }
    }

    #[test]
    fn calibration_anchors_and_clamps() {
        let c = Calibration::default();
        assert_eq!(c.score(0.35), 50);
        assert_eq!(c.score(0.60), 90);
        assert_eq!(c.score(1.0), 100);
        assert_eq!(c.score(-1.0), 0);
        assert_eq!(c.score(0.0), 0);
    }

    #[test]
    fn nearest_over_all_or_some_rows() {
        let mut ix = Index::new(2);
        ix.push("a".into(), &[1.0, 0.0]);
        ix.push("b".into(), &[0.0, 1.0]);
        ix.push("c".into(), &normalize(&[1.0, 1.0], 2).unwrap());
        let q = normalize(&[0.1, 1.0], 2).unwrap();
        assert_eq!(ix.nearest(&q, None).map(|(i, _)| i), Some(1));
        assert_eq!(ix.nearest(&q, Some(&[0, 2])).map(|(i, _)| i), Some(2));
        assert_eq!(ix.nearest(&q, Some(&[])), None);
        // dot agrees with a plain sum on lengths that are not a multiple of 8
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.1).collect();
        let plain: f32 = a.iter().map(|x| x * x).sum();
        assert!((dot(&a, &a) - plain).abs() < 1e-4);
    }

    /// Throughput of the batched search by block size (`cargo test --release -p fraud_engine
    /// -- --ignored nearest_many_throughput --nocapture`): a registration batch of 500 against
    /// 20,000 voices of dimension 192.
    #[test]
    #[ignore]
    fn nearest_many_throughput() {
        let voices = random_voices(5, 20_000, 192);
        let mut ix = Index::new(192);
        for (k, v) in voices.iter().enumerate() {
            ix.push(format!("v{k}"), v);
        }
        let flat: Vec<f32> = random_voices(6, 500, 192).concat();
        let macs = 500.0 * 20_000.0 * 192.0;
        let t = std::time::Instant::now();
        for q in flat.chunks_exact(192) {
            std::hint::black_box(ix.nearest(q, None));
        }
        let one = t.elapsed().as_secs_f64();
        println!(
            "one query at a time: {:.1} ms, {:.1} GMAC/s",
            one * 1e3,
            macs / one / 1e9
        );
        for block in [8, 16, 32, 64, 128, 256, 1024] {
            let t = std::time::Instant::now();
            std::hint::black_box(ix.nearest_many_blocked(&flat, None, block));
            let s = t.elapsed().as_secs_f64();
            println!(
                "block {block}: {:.1} ms, {:.1} GMAC/s",
                s * 1e3,
                macs / s / 1e9
            );
        }
    }

    #[test]
    fn retain_and_set_rows() {
        let mut ix = Index::new(2);
        for (k, v) in [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6]]
            .iter()
            .enumerate()
        {
            ix.push(format!("r{k}"), v);
        }
        let map = ix.retain_rows(|r| r != 1);
        assert_eq!(map, [0, u32::MAX, 1, 2]);
        assert_eq!(ids(&ix), ["r0", "r2", "r3"]);
        assert_eq!(ix.row(1), &[0.6, 0.8]);
        assert_eq!(ix.row(2), &[0.8, 0.6]);
        ix.set_row(0, &[0.0, -1.0]);
        assert_eq!(ix.row(0), &[0.0, -1.0]);
        assert_eq!(ix.nearest(&[0.0, -1.0], None).map(|(i, _)| i), Some(0));
    }

    /// The two-pass search gives what [`dot`] of every row gives, bit for bit, with every
    /// kernel this processor has: random voices, exact duplicates, near-ties closer than the
    /// bound (one element nudged by an ulp), watchlist subsets, odd dimensions and odd counts.
    #[test]
    fn the_first_pass_never_changes_a_result() {
        let kernels = prefilter::kernels();
        if kernels.is_empty() {
            eprintln!("no fast kernel on this processor: nothing to compare");
        }
        for &dim in &[1usize, 3, 8, 15, 16, 17, 40, 192, 200] {
            let voices = random_voices(31 + dim as u64, 600, dim);
            let mut ix = Index::new(dim);
            for (k, v) in voices.iter().enumerate() {
                ix.push(format!("v{k}"), v);
            }
            let mut queries = random_voices(77 + dim as u64, 41, dim);
            for k in [0usize, 5, 17, 599] {
                // the row itself, a duplicate of it later on, and a neighbour one ulp away
                ix.push(format!("dup{k}"), &voices[k]);
                let mut near = voices[k].clone();
                near[0] = f32::from_bits(near[0].to_bits() + 1);
                ix.push(format!("near{k}"), &near);
                queries.push(voices[k].clone());
                queries.push(near);
            }
            let flat: Vec<f32> = queries.concat();
            let subset: Vec<u32> = (0..ix.len() as u32).filter(|i| i % 4 != 2).collect();
            for rows in [None, Some(&subset[..]), Some(&[][..])] {
                let want: Vec<_> = queries
                    .iter()
                    .map(|q| ix.nearest_exact(q, rows).map(|(i, c)| (i, c.to_bits())))
                    .collect();
                if voice_int8::available() {
                    let got: Vec<_> = ix
                        .nearest_many_with(&flat, rows, 32, None, true)
                        .into_iter()
                        .map(|r| r.map(|(i, c)| (i, c.to_bits())))
                        .collect();
                    assert_eq!(got, want, "dim {dim}, 8-bit first pass");
                    // one query at a time, and in odd groups (the pass takes four at once)
                    for q in queries.iter().take(6) {
                        let one = ix.nearest_many_with(q, rows, 32, None, true);
                        let want_one = ix.nearest_exact(q, rows);
                        assert_eq!(
                            one[0].map(|(i, c)| (i, c.to_bits())),
                            want_one.map(|(i, c)| (i, c.to_bits()))
                        );
                    }
                }
                for &kernel in &kernels {
                    for block in [1, 4, 7, 32, 1000] {
                        let got: Vec<_> = ix
                            .nearest_many_with(&flat, rows, block, Some(kernel), false)
                            .into_iter()
                            .map(|r| r.map(|(i, c)| (i, c.to_bits())))
                            .collect();
                        assert_eq!(got, want, "dim {dim}, {kernel:?}, block {block}");
                    }
                }
                let exact: Vec<_> = ix
                    .nearest_many_with(&flat, rows, 32, None, false)
                    .into_iter()
                    .map(|r| r.map(|(i, c)| (i, c.to_bits())))
                    .collect();
                assert_eq!(exact, want, "dim {dim}, no kernel");
            }
        }
    }

    /// The 8-bit copy follows appended and rewritten rows (and is rebuilt after rows are
    /// dropped): searches after each change give the exact scan's result.
    #[test]
    fn the_8_bit_copy_follows_changes() {
        if !voice_int8::available() {
            eprintln!("no AVX-512 VNNI on this processor: nothing to compare");
            return;
        }
        let dim = 40;
        let voices = random_voices(5150, 300, dim);
        let mut ix = Index::new(dim);
        for (k, v) in voices.iter().take(100).enumerate() {
            ix.push(format!("v{k}"), v);
        }
        let queries = random_voices(5151, 20, dim);
        let check = |ix: &Index| {
            for q in &queries {
                let got = ix.nearest_many_with(q, None, 32, None, true)[0];
                assert_eq!(
                    got.map(|(i, c)| (i, c.to_bits())),
                    ix.nearest_exact(q, None).map(|(i, c)| (i, c.to_bits()))
                );
            }
        };
        check(&ix);
        assert!(ix.quantized.get().is_some());
        for (k, v) in voices.iter().enumerate().skip(100) {
            ix.push(format!("v{k}"), v);
            if k % 50 == 0 {
                check(&ix);
            }
        }
        // a query's own voice written over row 7: found there
        ix.set_row(7, &queries[3]);
        check(&ix);
        assert_eq!(
            ix.nearest_many_with(&queries[3], None, 32, None, true)[0].map(|(i, _)| i),
            Some(7)
        );
        ix.retain_rows(|r| r % 3 != 0);
        check(&ix);
    }

    #[test]
    fn nearest_many_is_nearest_bit_for_bit() {
        for &dim in &[1usize, 7, 8, 19, 192] {
            let voices = random_voices(11 + dim as u64, 700, dim);
            let mut ix = Index::new(dim);
            for (k, v) in voices.iter().enumerate() {
                ix.push(format!("v{k}"), v);
            }
            // a duplicate row: ties go to the earlier row in both
            ix.push("dup".into(), &voices[3]);
            let queries = random_voices(99 + dim as u64, 37, dim);
            let mut flat: Vec<f32> = queries.concat();
            flat.extend_from_slice(&voices[3]);
            let subset: Vec<u32> = (0..ix.len() as u32).filter(|i| i % 3 != 1).collect();
            for rows in [None, Some(&subset[..]), Some(&[][..])] {
                let many = ix.nearest_many(&flat, rows);
                assert_eq!(ix.nearest_many_blocked(&flat, rows, 5), many);
                assert_eq!(many.len(), queries.len() + 1);
                for (q, got) in flat.chunks_exact(dim).zip(&many) {
                    let want = ix.nearest(q, rows);
                    assert_eq!(
                        got.map(|(i, c)| (i, c.to_bits())),
                        want.map(|(i, c)| (i, c.to_bits()))
                    );
                }
            }
            if dim >= 8 {
                // the query is row 3 itself, and "dup" ties with it
                assert_eq!(
                    ix.nearest_many(&voices[3], None)[0].map(|(i, _)| i),
                    Some(3)
                );
            }
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(
            authentication_decision(false, None, true, None, 90),
            "SPEAKER_ID_NOT_PROVIDED"
        );
        assert_eq!(
            authentication_decision(true, None, true, None, 90),
            "SPEAKER_NOT_ENROLLED"
        );
        assert_eq!(
            authentication_decision(true, Some("OPTED_OUT"), true, None, 90),
            "SPEAKER_OPTED_OUT"
        );
        assert_eq!(
            authentication_decision(true, Some("EXPIRED"), true, None, 90),
            "SPEAKER_EXPIRED"
        );
        assert_eq!(
            authentication_decision(true, Some("ENROLLED"), false, Some(99), 90),
            "NOT_ENOUGH_SPEECH"
        );
        assert_eq!(
            authentication_decision(true, Some("ENROLLED"), true, Some(90), 90),
            "ACCEPT"
        );
        assert_eq!(
            authentication_decision(true, Some("ENROLLED"), true, Some(89), 90),
            "REJECT"
        );
        assert_eq!(
            fraud_decision(false, 99, 99, 50),
            ("NOT_ENOUGH_SPEECH", vec![])
        );
        assert_eq!(
            fraud_decision(true, 50, 0, 50),
            ("HIGH_RISK", vec!["KNOWN_FRAUDSTER"])
        );
        assert_eq!(
            fraud_decision(true, 10, 70, 50),
            ("HIGH_RISK", vec!["VOICE_SPOOFING"])
        );
        assert_eq!(fraud_decision(true, 49, 49, 50), ("LOW_RISK", vec![]));
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derived_id(&[b"domain", b"session", b"1"]);
        assert_eq!(a.len(), 22);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(a, derived_id(&[b"domain", b"session", b"1"]));
        assert_ne!(a, derived_id(&[b"domain", b"session", b"2"]));
        assert_ne!(derived_id(&[b"ab", b"c"]), derived_id(&[b"a", b"bc"]));
    }

    #[test]
    fn upper_tail_in_log_space() {
        // references: 0.5 * erfc(t / sqrt 2) in double precision (C's erfc)
        let close = |a: f64, b: f64, tol: f64| assert!((a - b).abs() < tol, "{a} vs {b}");
        close(ln_upper_tail(0.0), 0.5f64.ln(), 1e-7);
        close(
            ln_upper_tail(3.0),
            0.001_349_898_031_630_095_7f64.ln(),
            1e-6,
        );
        close(ln_upper_tail(-1.0), 0.841_344_746_068_542_9f64.ln(), 1e-7);
        close(ln_upper_tail(10.0), -53.231_285_150_512_46, 1e-6);
        close(ln_upper_tail(30.0), -454.321_243_956_343_1, 1e-5);
        // far beyond f64's smallest number: still finite
        assert!(ln_upper_tail(60.0).is_finite());
        for t in [-5.0, -0.3, 0.0, 1.0, 4.85, 6.0, 12.0, 40.0] {
            close(upper_tail_inverse_ln(ln_upper_tail(t)), t, 1e-6);
        }
    }

    #[test]
    fn shift_is_bounded_when_the_anchor_sits_among_unrelated_voices() {
        // cos_at_50 at (or below) the median of unrelated cosines: half of all unrelated voices
        // already score 50, so the exact order statistic asks for little, and never more than
        // the cap
        let c = Cohort {
            location: 0.4,
            scale: 0.1,
        };
        for n in [501, 2001, 100_000, 10_000_000] {
            let s = f64::from(c.shift(0.4, n));
            assert!(
                s.is_finite() && s > 0.0 && s <= MAX_SHIFT_SIGMAS * 0.1 + 1e-6,
                "{s} at {n}"
            );
        }
        assert!(f64::from(c.shift(0.4, 2001)) < 0.15);
    }

    #[test]
    fn a_small_domain_has_no_cohort() {
        let mut ix = Index::new(2);
        for k in 0..(MIN_COHORT_VOICES - 1) {
            let a = k as f32 * 0.01;
            ix.push(format!("f{k}"), &[a.cos(), a.sin()]);
        }
        assert_eq!(ix.cohort(), None);
        ix.push("last".into(), &[0.0, 1.0]);
        assert!(ix.cohort().is_some());
    }

    #[test]
    fn shift_is_zero_up_to_500_then_grows() {
        let c = Cohort {
            location: 0.0,
            scale: 1.0 / 192f64.sqrt(),
        };
        for n in [0, 1, 100, 500] {
            assert_eq!(c.shift(0.35, n), 0.0);
        }
        let mut last = 0.0;
        for n in [501, 1000, 10_000, 100_000, 1_000_000] {
            let s = c.shift(0.35, n);
            assert!(s > last, "shift {s} at {n} not above {last}");
            last = s;
        }
        // a degenerate cohort never shifts
        assert_eq!(
            Cohort {
                location: 0.0,
                scale: 0.0
            }
            .shift(0.35, 100_000),
            0.0
        );
        assert_eq!(
            Cohort {
                location: f64::NAN,
                scale: 1.0
            }
            .shift(0.35, 100_000),
            0.0
        );
    }

    #[test]
    fn shift_equals_the_analytic_value_for_unit_variance() {
        // 1 - Q(t_n) = (1 - Q(t500))^(500 / n), solved independently (Python's math.erfc,
        // log1p / expm1 and bisection)
        let unit = Cohort {
            location: 0.0,
            scale: 1.0,
        };
        assert!((unit.shift(3.0, 5000) - 0.642_365_9).abs() < 1e-5);
        assert!((unit.shift(4.0, 100_000) - 1.113_217_4).abs() < 1e-5);
        assert!((unit.shift(2.0, 501) - 0.000_832_1).abs() < 1e-5);
        assert!((unit.shift(1.0, 2001) - 0.725_169_8).abs() < 1e-5);
        assert!((unit.shift(-1.0, 20_000) - 2.695_583).abs() < 1e-5);
        // location and scale: shift scales with the spread, ignores the location
        let other = Cohort {
            location: 0.1,
            scale: 0.05,
        };
        assert!((other.shift(0.1 + 0.05 * 3.0, 5000) - 0.05 * 0.642_365_9).abs() < 1e-6);
    }

    /// `n` pseudo-random unit vectors of `dim` (uniform coordinates, as tests/pg_regress's
    /// synthetic voices).
    fn random_voices(seed: u64, n: usize, dim: usize) -> Vec<Vec<f32>> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..dim)
                    .map(|_| {
                        (splitmix64(&mut state) >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
                    })
                    .collect();
                normalize(&v, dim).unwrap()
            })
            .collect()
    }

    #[test]
    fn cohort_is_robust_and_deterministic() {
        let mut ix = Index::new(192);
        for (i, v) in random_voices(1, 3000, 192).iter().enumerate() {
            ix.push(format!("f{i}"), v);
            if i % 20 == 0 {
                ix.push(format!("f{i}-again"), v); // the same voice registered twice
            }
        }
        let c = ix.cohort().unwrap();
        assert_eq!(Some(c), ix.cohort());
        assert!(c.location.abs() < 0.01, "{c:?}");
        let sd = 1.0 / 192f64.sqrt();
        assert!((c.scale - sd).abs() < 0.1 * sd, "{c:?}");
        assert_eq!(Index::new(4).cohort(), None);
        let mut two = Index::new(2);
        two.push("a".into(), &[1.0, 0.0]);
        two.push("b".into(), &[0.0, 1.0]);
        assert_eq!(
            two.cohort(),
            None,
            "too few voices to say what unrelated voices look like"
        );
    }

    #[test]
    fn normalised_false_alarms_stay_at_the_500_voice_rate() {
        // 20,000 unrelated voices of dimension 192, 200 unknown callers, a score-50 anchor at
        // which a 500-voice watchlist flags about 0.2 % of unknown callers
        let (n, dim, cos_at_50) = (20_000, 192, 0.32_f32);
        let mut ix = Index::new(dim);
        for (i, v) in random_voices(7, n, dim).iter().enumerate() {
            ix.push(format!("f{i}"), v);
        }
        let shift = ix.cohort().unwrap().shift(cos_at_50, n);
        let callers = random_voices(8, 200, dim);
        let best: Vec<f32> = callers
            .iter()
            .map(|q| ix.nearest(q, None).unwrap().1)
            .collect();
        let plain = best.iter().filter(|&&c| c >= cos_at_50).count();
        let normalised = best.iter().filter(|&&c| c - shift >= cos_at_50).count();
        assert!(plain > 2, "unnormalised: {plain} of 200 flagged");
        assert!(normalised <= 2, "normalised: {normalised} of 200 flagged");
        // a new recording of a registered voice (cosine about 0.8) still scores far above 50
        assert!(0.8 - shift > cos_at_50 + 0.3, "shift {shift}");
    }
}
