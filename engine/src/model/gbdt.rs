//! Gradient-boosted decision trees: histogram-based, logistic loss, leaf-wise growth, early
//! stopping on a validation set. Deterministic: the same data and parameters give the same
//! trees, bit for bit, on every run and thread count.
//!
//! The algorithm follows LightGBM's defaults so that its behaviour is familiar:
//!
//! * every column is binned once before training: numeric columns into at most `max_bins`
//!   quantile bins (edges from the training data, a bin holds at least [`MIN_DATA_IN_BIN`]
//!   rows), categorical columns into one bin per category (the most frequent ones), and in
//!   both cases one extra bin for missing values;
//! * trees grow leaf-wise (best-first) up to `num_leaves`, the gain being the usual
//!   second-order one, `G²/(H+λ)`; the histogram of the larger child of a split is the
//!   parent's minus the smaller child's (only the smaller one is built from the rows);
//! * a numeric split sends `x <= threshold` left and learns where missing values go (both
//!   directions are tried when the node has missing values, LightGBM's `use_missing`);
//! * a categorical split sorts the node's categories by `G/(H+cat_smooth)` and scans the
//!   prefixes from both ends (LightGBM's many-vs-many split), with LightGBM's guards against
//!   noise categories: only categories with at least [`CAT_SMOOTH`] rows take part, a group
//!   must hold [`MIN_DATA_PER_GROUP`] rows, at most [`MAX_CAT_THRESHOLD`] categories go
//!   left, and the split's gain and its children's values are regularized by [`CAT_L2`].
//!   Missing values, categories not seen in training and rare categories go right;
//! * the base margin is the log-odds of the training prior (`boost_from_average`).
//!
//! Infinite values are ordered values: `+inf` is treated as the largest finite f32 and
//! `-inf` as the smallest, in training and in scoring alike (so a threshold is always
//! finite and the model serializes to JSON). NaN is missing. In a categorical column, a
//! value that is not a non-negative integer below 2^24 is missing.
//!
//! Determinism: there is no randomness; ties between splits go to the lowest feature index
//! then the lowest bin; ties between leaves to the lowest leaf index. Histograms are built
//! by worker threads each owning whole features, and every feature's histogram is summed in
//! row order, so the sums are the same whatever the number of threads. Partitions,
//! gradients, binning and the children's split searches are shared out the same way.
//!
//! Speed (140,000 rows x 19 features, 100 trees, 2 cores; examples/gbdt_bench.rs against
//! LightGBM 4.7 on the same file): the binned data is column-major (one u8 per row and
//! feature), a leaf's gradients are gathered once (f32, as LightGBM's) and four features'
//! histograms are filled per pass over its rows. A stored booster keeps its trees as they
//! were grown (for TreeSHAP and inspection) plus a flat copy for scoring: 16-byte nodes
//! in one array, the child chosen by index rather than by a branch, four trees walked in
//! lockstep, categorical sets as 256-bit sets over per-feature slots.
//!
//! Explanations are path-dependent TreeSHAP (Lundberg et al. 2018, Algorithm 2) with the
//! number of training rows through a node as its cover, as LightGBM's `pred_contrib`.

use serde::{Deserialize, Serialize};

/// Column-major training data. Every value is an f32; NaN is a missing value. A categorical
/// column holds category ids 0, 1, 2, ... as f32 (exact below 2^24).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub n_rows: usize,
    pub columns: Vec<Vec<f32>>,
    pub categorical: Vec<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub learning_rate: f64,
    pub num_leaves: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub lambda_l2: f64,
    pub max_bins: usize,
    pub max_trees: usize,
    pub early_stopping_rounds: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            learning_rate: 0.1,
            num_leaves: 31,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l2: 0.0,
            max_bins: 255,
            max_trees: 1000,
            early_stopping_rounds: 50,
        }
    }
}

/// Where training stands, handed to the progress callback after every tree.
#[derive(Debug, Clone)]
pub struct Progress {
    pub trees: usize,
    pub max_trees: usize,
    /// the validation log loss of the best iteration so far (NaN without a validation set)
    pub best_valid_loss: f64,
}

/// The progress callback returned false: training stopped, nothing is returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Cancelled;

/// LightGBM's `cat_smooth`: added to the hessian sum when categories are ordered, and the
/// least number of rows a category needs in a node to take part in a split there.
pub const CAT_SMOOTH: f64 = 10.0;
/// LightGBM's `cat_l2`: extra L2 regularization of categorical splits.
pub const CAT_L2: f64 = 10.0;
/// LightGBM's `min_data_per_group`: the least number of rows a group of categories (each
/// side of a categorical split, and each step of the scan) holds.
pub const MIN_DATA_PER_GROUP: usize = 100;
/// LightGBM's `max_cat_threshold`: at most this many categories go left.
pub const MAX_CAT_THRESHOLD: usize = 32;
/// LightGBM's `max_cat_to_onehot`: a column with at most this many categories is split one
/// category against the rest.
pub const MAX_CAT_TO_ONEHOT: usize = 4;
/// LightGBM's `min_data_in_bin`: a numeric bin holds at least this many training values.
pub const MIN_DATA_IN_BIN: usize = 3;
/// Bin edges are computed on at most this many rows (evenly spaced), LightGBM's
/// `bin_construct_sample_cnt`.
const BIN_SAMPLE: usize = 200_000;
/// Every feature owns this many histogram slots (a bin index is a u8).
const HIST_STRIDE: usize = 256;
/// Below this many (row, feature) pairs a histogram is built on the calling thread: a
/// thread costs more than it saves (tests use small thresholds to exercise the threads).
const PARALLEL_MIN_WORK: usize = if cfg!(test) { 1024 } else { 64 * 1024 };
/// Below this many rows in their parent, children look for their splits on one thread.
const PARALLEL_MIN_SPLIT: usize = if cfg!(test) { 256 } else { 4096 };
/// Below this many rows a leaf is partitioned on the calling thread.
const PARALLEL_MIN_PARTITION: usize = if cfg!(test) { 512 } else { 32 * 1024 };

/// A trained ensemble. Serialized with serde (stored as JSON in the catalog) as its trees;
/// a compact copy of them for scoring is rebuilt when it is read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "BoosterRepr", into = "BoosterRepr")]
pub struct Booster {
    pub n_features: usize,
    pub base_margin: f64,
    trees: Vec<Tree>,
    flat: Flat,
}

/// What a booster serializes as.
#[derive(Serialize, Deserialize)]
struct BoosterRepr {
    n_features: usize,
    base_margin: f64,
    trees: Vec<Tree>,
}

impl TryFrom<BoosterRepr> for Booster {
    type Error = String;

    /// A stored model is checked before use: scoring a malformed one could index out of
    /// bounds or loop.
    fn try_from(mut r: BoosterRepr) -> Result<Self, String> {
        if !r.base_margin.is_finite() {
            return Err("gbdt: the base margin is not finite".into());
        }
        for (i, t) in r.trees.iter_mut().enumerate() {
            t.depth = t.check().map_err(|e| format!("gbdt: tree {i}: {e}"))?;
        }
        Ok(Booster::from_trees(r.n_features, r.base_margin, r.trees))
    }
}

impl From<Booster> for BoosterRepr {
    fn from(b: Booster) -> Self {
        BoosterRepr {
            n_features: b.n_features,
            base_margin: b.base_margin,
            trees: b.trees,
        }
    }
}

/// All trees' nodes in one array, 16 bytes each, for scoring: one row visits a few nodes
/// of every tree, so they should share cache lines and need no pointer per tree.
#[derive(Debug, Clone, Default)]
struct Flat {
    /// each tree's root: a node index, or `!leaf` for a tree without split
    roots: Vec<i32>,
    nodes: Vec<FlatNode>,
    leaf_value: Vec<f64>,
    /// categorical nodes' left categories: a set of slots of the feature's `CatSlots`
    cat_sets: Vec<BinSet>,
    /// per feature, the categories split on (empty for a numeric feature)
    cat_slots: Vec<CatSlots>,
}

/// The categories of one feature that some split sends left, numbered 0..=254 ("slots";
/// training has at most 254 categories per feature): a split's set of categories is then
/// a 256-bit set, and membership a table lookup and a bit test, where a binary search
/// would mispredict.
#[derive(Debug, Clone, Default)]
struct CatSlots {
    /// slot of category id `i` (NO_SLOT: no split sends it left), for small ids
    table: Vec<u8>,
    /// (id, slot) for ids beyond the table, sorted
    large: Vec<(u32, u8)>,
}

const NO_SLOT: u8 = u8::MAX;
/// Category ids below this are looked up in a table (at most 1 MiB per feature).
const CAT_TABLE_MAX: u32 = 1 << 20;

impl CatSlots {
    fn new(ids: &[u32]) -> CatSlots {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut slots = CatSlots::default();
        let small_max = ids.iter().filter(|&&id| id < CAT_TABLE_MAX).max();
        if let Some(&m) = small_max {
            slots.table = vec![NO_SLOT; m as usize + 1];
        }
        for (slot, &id) in ids.iter().enumerate().take(NO_SLOT as usize) {
            if id < CAT_TABLE_MAX {
                slots.table[id as usize] = slot as u8;
            } else {
                slots.large.push((id, slot as u8));
            }
        }
        slots
    }

    #[inline]
    fn slot(&self, id: u32) -> u8 {
        match self.table.get(id as usize) {
            Some(&s) => s,
            None if self.large.is_empty() => NO_SLOT,
            None => self
                .large
                .binary_search_by_key(&id, |&(i, _)| i)
                .map_or(NO_SLOT, |k| self.large[k].1),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct FlatNode {
    /// numeric: `x <= threshold` goes left (+inf when every value goes left); categorical:
    /// the bits of the index in `cat_ranges`
    threshold: f32,
    /// the feature, with the two flags below
    feature: u32,
    /// [left, right]: a node index, or `!leaf` (leaf index in `leaf_value`); selected by
    /// indexing rather than branching, since the direction is unpredictable
    children: [i32; 2],
}

const FLAT_CATEGORICAL: u32 = 1 << 31;
const FLAT_DEFAULT_LEFT: u32 = 1 << 30;
const FLAT_FEATURE: u32 = FLAT_DEFAULT_LEFT - 1;

impl Flat {
    fn new(trees: &[Tree]) -> Flat {
        let mut flat = Flat::default();
        // the categories each feature's splits send left
        let mut used: Vec<Vec<u32>> = Vec::new();
        for t in trees {
            for n in t.nodes.iter().filter(|n| n.cat_len > 0) {
                let f = n.feature as usize;
                if used.len() <= f {
                    used.resize(f + 1, Vec::new());
                }
                used[f].extend_from_slice(t.cat_ids(n));
            }
        }
        flat.cat_slots = used.iter().map(|ids| CatSlots::new(ids)).collect();
        for t in trees {
            let node_base = flat.nodes.len() as i32;
            let leaf_base = flat.leaf_value.len() as i32;
            let child = |c: i32| {
                if c >= 0 {
                    c + node_base
                } else {
                    !(!c + leaf_base)
                }
            };
            flat.roots.push(if t.nodes.is_empty() {
                !leaf_base
            } else {
                node_base
            });
            for n in &t.nodes {
                let mut feature = n.feature & FLAT_FEATURE;
                let threshold = if n.cat_len > 0 {
                    feature |= FLAT_CATEGORICAL;
                    let slots = &flat.cat_slots[n.feature as usize];
                    let mut set = BinSet::default();
                    for &id in t.cat_ids(n) {
                        let slot = slots.slot(id);
                        if slot != NO_SLOT {
                            set.insert(slot as usize);
                        }
                    }
                    flat.cat_sets.push(set);
                    f32::from_bits(flat.cat_sets.len() as u32 - 1)
                } else if n.threshold >= f32::MAX {
                    // +inf ranks as the largest finite value, so it goes left too
                    f32::INFINITY
                } else {
                    n.threshold
                };
                if n.default_left {
                    feature |= FLAT_DEFAULT_LEFT;
                }
                flat.nodes.push(FlatNode {
                    threshold,
                    feature,
                    children: [child(n.left), child(n.right)],
                });
            }
            flat.leaf_value.extend_from_slice(&t.leaf_value);
        }
        flat
    }

    /// The slot of a categorical feature's value (NO_SLOT: no split sends it left).
    #[inline]
    fn cat_slot(&self, f: usize, x: f32) -> u8 {
        match (category_id(x), self.cat_slots.get(f)) {
            (Some(id), Some(slots)) => slots.slot(id),
            _ => NO_SLOT,
        }
    }

    /// One step down from node `i`; `slot(f, x)` is the slot of categorical value `x`.
    /// MIXED (a cheap `slot` and some categorical nodes): both tests are computed and one
    /// selected, without a branch on the node's kind.
    #[inline(always)]
    fn step<const MIXED: bool>(
        &self,
        i: i32,
        value: &impl Fn(usize) -> f32,
        slot: &impl Fn(usize, f32) -> u8,
    ) -> i32 {
        let n = &self.nodes[i as usize];
        let f = (n.feature & FLAT_FEATURE) as usize;
        let x = value(f);
        if MIXED {
            let numeric = (x <= n.threshold) | (x.is_nan() & (n.feature & FLAT_DEFAULT_LEFT != 0));
            // a numeric node's threshold bits index some set: its answer is not used
            let k = (n.threshold.to_bits() as usize).min(self.cat_sets.len() - 1);
            // NO_SLOT (255) is in no set: slots run 0..=254
            let categorical = self.cat_sets[k].contains(slot(f, x));
            let is_cat = n.feature & FLAT_CATEGORICAL != 0;
            let left = (is_cat & categorical) | (!is_cat & numeric);
            return n.children[!left as usize];
        }
        let left = if n.feature & FLAT_CATEGORICAL == 0 {
            // NaN compares false: it goes left only by default
            (x <= n.threshold) | (x.is_nan() & (n.feature & FLAT_DEFAULT_LEFT != 0))
        } else {
            let s = slot(f, x);
            s != NO_SLOT
                && self
                    .cat_sets
                    .get(n.threshold.to_bits() as usize)
                    .is_some_and(|set| set.contains(s))
        };
        n.children[!left as usize]
    }

    /// The sum of the leaf values a row reaches. A row of up to 64 features has its
    /// categorical slots looked up once, on the stack, rather than at every node.
    #[inline]
    fn score(&self, value: impl Fn(usize) -> f32) -> f64 {
        const SMALL: usize = 64;
        if self.cat_slots.len() <= SMALL {
            let mut slots = [NO_SLOT; SMALL];
            for (f, s) in slots.iter_mut().enumerate().take(self.cat_slots.len()) {
                if !self.cat_slots[f].table.is_empty() || !self.cat_slots[f].large.is_empty() {
                    *s = self.cat_slot(f, value(f));
                }
            }
            let slot = |f: usize, _| slots.get(f).copied().unwrap_or(NO_SLOT);
            if self.cat_sets.is_empty() {
                self.score_with::<false>(&value, &slot)
            } else {
                // numeric and categorical nodes mixed: the node's kind is unpredictable
                self.score_with::<true>(&value, &slot)
            }
        } else {
            self.score_with::<false>(&value, &|f, x| self.cat_slot(f, x))
        }
    }

    /// The sum of the leaf values a row reaches, added in tree order. Trees are walked four
    /// at a time in lockstep: a step is a chain of dependent loads, and four independent
    /// chains overlap where one would wait.
    #[inline(always)]
    fn score_with<const MIXED: bool>(
        &self,
        value: &impl Fn(usize) -> f32,
        slot: &impl Fn(usize, f32) -> u8,
    ) -> f64 {
        let mut sum = 0.0;
        let mut groups = self.roots.chunks_exact(4);
        for roots in &mut groups {
            let mut idx = [roots[0], roots[1], roots[2], roots[3]];
            loop {
                let mut active = false;
                for i in &mut idx {
                    if *i >= 0 {
                        *i = self.step::<MIXED>(*i, value, slot);
                        active = true;
                    }
                }
                if !active {
                    break;
                }
            }
            for i in idx {
                sum += self.leaf_value[!i as usize];
            }
        }
        for &root in groups.remainder() {
            let mut i = root;
            while i >= 0 {
                i = self.step::<MIXED>(i, value, slot);
            }
            sum += self.leaf_value[!i as usize];
        }
        sum
    }
}

/// One split node. `left`/`right` >= 0 are node indexes, < 0 are leaves (`!leaf`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Node {
    #[serde(rename = "f")]
    feature: u32,
    /// numeric split: `x <= threshold` goes left (always finite)
    #[serde(rename = "t")]
    threshold: f32,
    #[serde(rename = "l")]
    left: i32,
    #[serde(rename = "r")]
    right: i32,
    /// categorical split: the ids going left are `Tree::cats[cat_start..cat_start+cat_len]`
    /// (sorted); `cat_len == 0` is a numeric split
    #[serde(rename = "cs")]
    cat_start: u32,
    #[serde(rename = "cl")]
    cat_len: u32,
    /// where a missing value goes (numeric splits; categorical ones send it right)
    #[serde(rename = "d")]
    default_left: bool,
}

/// A tree as flat arrays. A tree without split has one leaf (and no node).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
    /// the split gain of each node (feature importance)
    gain: Vec<f64>,
    /// the number of training rows through each node (TreeSHAP's cover)
    node_cover: Vec<f64>,
    leaf_value: Vec<f64>,
    leaf_cover: Vec<f64>,
    cats: Vec<u32>,
    /// the longest root-to-leaf path, in splits (sizes TreeSHAP's path buffer)
    depth: u32,
}

/// The category id of a categorical value, None when missing (NaN, negative, fractional,
/// infinite, or too large to be an exact f32 integer).
#[inline]
fn category_id(x: f32) -> Option<u32> {
    // an integer round trip rather than trunc(), a libm call on baseline x86-64
    if (0.0..16_777_216.0).contains(&x) && (x as u32) as f32 == x {
        Some(x as u32)
    } else {
        None
    }
}

impl Tree {
    /// Whether value `x` of node `n`'s feature goes left (the reference for the flat
    /// scoring form, and TreeSHAP's walk).
    #[inline]
    fn go_left(&self, n: &Node, x: f32) -> bool {
        if n.cat_len == 0 {
            if x.is_nan() {
                n.default_left
            } else {
                // +inf ranks as the largest finite value (see the module comment)
                x.min(f32::MAX) <= n.threshold
            }
        } else {
            let start = n.cat_start as usize;
            let ids = &self.cats[start..start + n.cat_len as usize];
            category_id(x).is_some_and(|id| ids.binary_search(&id).is_ok())
        }
    }

    fn cat_ids(&self, n: &Node) -> &[u32] {
        let start = n.cat_start as usize;
        self.cats
            .get(start..start + n.cat_len as usize)
            .unwrap_or(&[])
    }

    /// The leaf a row falls into; `value(feature)` reads the row.
    #[inline]
    fn leaf(&self, value: impl Fn(usize) -> f32) -> usize {
        if self.nodes.is_empty() {
            return 0;
        }
        let mut i = 0i32;
        while i >= 0 {
            let n = &self.nodes[i as usize];
            i = if self.go_left(n, value(n.feature as usize)) {
                n.left
            } else {
                n.right
            };
        }
        !i as usize
    }

    /// Checks the structure of a deserialized tree; returns its depth. Children come after
    /// their parent (as the grower numbers them), so a walk cannot loop.
    fn check(&self) -> Result<u32, String> {
        let (n, leaves) = (self.nodes.len(), self.leaf_value.len());
        if leaves != n + 1 || self.leaf_cover.len() != leaves {
            return Err("leaf arrays do not match the nodes".into());
        }
        if self.gain.len() != n || self.node_cover.len() != n {
            return Err("node arrays do not match".into());
        }
        if self.leaf_value.iter().any(|v| !v.is_finite()) {
            return Err("a leaf value is not finite".into());
        }
        let mut depth = vec![0u32; n];
        let mut max_depth = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            for c in [node.left, node.right] {
                if c >= 0 {
                    if c as usize <= i || c as usize >= n {
                        return Err(format!("node {i}: bad child {c}"));
                    }
                    depth[c as usize] = depth[i] + 1;
                } else if !c as usize >= leaves {
                    return Err(format!("node {i}: bad leaf {}", !c));
                }
            }
            max_depth = max_depth.max(depth[i] + 1);
            let end = node.cat_start as u64 + node.cat_len as u64;
            if end > self.cats.len() as u64 {
                return Err(format!("node {i}: categories out of range"));
            }
            if node.feature >= FLAT_DEFAULT_LEFT {
                return Err(format!("node {i}: feature out of range"));
            }
        }
        if self
            .nodes
            .iter()
            .any(|n| !n.threshold.is_finite() && n.cat_len == 0)
        {
            return Err("a threshold is not finite".into());
        }
        Ok(max_depth)
    }

    /// The cover-weighted mean of the leaf values: the tree's expected output.
    fn expected_value(&self) -> f64 {
        let total: f64 = self.leaf_cover.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let s: f64 = self
            .leaf_value
            .iter()
            .zip(&self.leaf_cover)
            .map(|(v, c)| v * c)
            .sum();
        s / total
    }

    fn cover(&self, child: i32) -> f64 {
        if child >= 0 {
            self.node_cover[child as usize]
        } else {
            self.leaf_cover[!child as usize]
        }
    }
}

// ---------------------------------------------------------------------------------------
// Binning

/// How one column is binned. Numeric: value bins `0..=upper.len()` (bin k holds
/// `upper[k-1] < x <= upper[k]`), then the missing bin. Categorical: bin k is category
/// `cats[k]`, then the "other" bin (rare categories), then the missing bin.
#[derive(Debug, Clone)]
struct FeatureBins {
    categorical: bool,
    upper: Vec<f32>,
    cats: Vec<u32>,
}

impl FeatureBins {
    /// The number of bins holding values (the missing bin, and for a categorical column the
    /// other bin, come after them).
    fn n_value_bins(&self) -> usize {
        if self.categorical {
            self.cats.len()
        } else {
            self.upper.len() + 1
        }
    }

    fn missing_bin(&self) -> usize {
        if self.categorical {
            self.cats.len() + 1
        } else {
            self.upper.len() + 1
        }
    }

    /// Bin of a numeric value (non-NaN): the first bin whose upper edge is >= x.
    #[inline]
    fn numeric_bin(&self, x: f32) -> usize {
        self.upper.partition_point(|&u| u < x)
    }
}

/// The training data binned, column-major: building a histogram or partitioning a leaf
/// reads one column at a time (a u8 per row), which stays in the L2 cache however scattered
/// the leaf's rows are.
struct Binned {
    n_rows: usize,
    n_features: usize,
    columns: Vec<u8>,
    features: Vec<FeatureBins>,
}

impl Binned {
    fn column(&self, f: usize) -> &[u8] {
        &self.columns[f * self.n_rows..(f + 1) * self.n_rows]
    }
}

/// A point between two adjacent distinct values `a < b`: `a <= m < b`.
fn midpoint(a: f32, b: f32) -> f32 {
    let m = ((a as f64 + b as f64) / 2.0) as f32;
    if m >= a && m < b {
        m
    } else {
        a
    }
}

/// Row indexes sampled evenly for bin construction.
fn sample_rows(n: usize) -> impl Iterator<Item = usize> {
    let take = n.min(BIN_SAMPLE);
    (0..take).map(move |i| if take == n { i } else { i * n / take })
}

/// Quantile bin edges of a numeric column, greedy like LightGBM's: distinct values in
/// order are merged into bins of about `rest / bins_left` values; a value more frequent than
/// that gets a bin of its own.
fn numeric_edges(col: &[f32], max_bins: usize) -> Vec<f32> {
    let mut vals: Vec<f32> = sample_rows(col.len())
        .map(|i| col[i])
        .filter(|x| !x.is_nan())
        .map(|x| x.clamp(f32::MIN, f32::MAX))
        .collect();
    vals.sort_unstable_by(f32::total_cmp);
    let mut distinct: Vec<(f32, usize)> = Vec::new();
    for &v in &vals {
        match distinct.last_mut() {
            // -0.0 and 0.0 are one value
            Some((last, c)) if *last == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mut edges = Vec::new();
    if distinct.len() <= 1 {
        return edges;
    }
    let mut rest = vals.len();
    let mut bins_left = max_bins.max(2);
    let mut cur = 0usize;
    for i in 0..distinct.len() - 1 {
        cur += distinct[i].1;
        if bins_left <= 1 {
            break;
        }
        let target = rest as f64 / bins_left as f64;
        let next_big = distinct[i + 1].1 as f64 >= target;
        let rest_after = rest - cur;
        if (cur as f64 >= target || next_big)
            && cur >= MIN_DATA_IN_BIN
            && rest_after >= MIN_DATA_IN_BIN
        {
            edges.push(midpoint(distinct[i].0, distinct[i + 1].0));
            rest = rest_after;
            bins_left -= 1;
            cur = 0;
        }
    }
    edges
}

/// The categories of a categorical column that get a bin: the most frequent (ties: lowest
/// id), at most `max_bins - 1`, sorted by id.
fn category_bins(col: &[f32], max_bins: usize) -> Vec<u32> {
    let mut counts: rustc_hash::FxHashMap<u32, usize> = Default::default();
    for i in sample_rows(col.len()) {
        if let Some(id) = category_id(col[i]) {
            *counts.entry(id).or_default() += 1;
        }
    }
    let mut by_count: Vec<(u32, usize)> = counts.into_iter().collect();
    by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by_count.truncate(max_bins.saturating_sub(1).max(1));
    let mut cats: Vec<u32> = by_count.into_iter().map(|(id, _)| id).collect();
    cats.sort_unstable();
    cats
}

/// Bins one column: its bin edges or categories, and every row's bin in `bins`.
fn bin_column(col: &[f32], categorical: bool, max_bins: usize, bins: &mut [u8]) -> FeatureBins {
    let fb = if categorical {
        FeatureBins {
            categorical,
            upper: Vec::new(),
            cats: category_bins(col, max_bins),
        }
    } else {
        FeatureBins {
            categorical,
            upper: numeric_edges(col, max_bins),
            cats: Vec::new(),
        }
    };
    let missing = fb.missing_bin() as u8;
    if categorical {
        let other = fb.cats.len() as u8;
        let map: rustc_hash::FxHashMap<u32, u8> = fb
            .cats
            .iter()
            .enumerate()
            .map(|(b, &id)| (id, b as u8))
            .collect();
        for (bin, &x) in bins.iter_mut().zip(col) {
            *bin = match category_id(x) {
                Some(id) => map.get(&id).copied().unwrap_or(other),
                None => missing,
            };
        }
    } else {
        for (bin, &x) in bins.iter_mut().zip(col) {
            *bin = if x.is_nan() {
                missing
            } else {
                fb.numeric_bin(x) as u8
            };
        }
    }
    fb
}

/// Bins every column, the columns shared out between up to `threads` workers (each column
/// is binned the same way whoever does it).
fn bin_dataset(data: &Dataset, n: usize, max_bins: usize, threads: usize) -> Binned {
    // 254 value bins at most: with the missing and other bins an index still fits in a u8
    let max_bins = max_bins.clamp(2, 254);
    let nf = data.columns.len();
    let mut columns = vec![0u8; n * nf];
    let is_cat = |f: usize| data.categorical.get(f).copied().unwrap_or(false);
    let mut jobs: Vec<(usize, &mut [u8])> =
        columns.chunks_exact_mut(n.max(1)).enumerate().collect();
    let workers = threads.clamp(1, nf.max(1));
    let per = jobs.len().div_ceil(workers.max(1)).max(1);
    let mut features: Vec<Option<FeatureBins>> = vec![None; nf];
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        let mut rest = &mut jobs[..];
        let mut outs = &mut features[..];
        while !rest.is_empty() {
            let k = per.min(rest.len());
            let (mine, tail) = rest.split_at_mut(k);
            let (out, out_tail) = outs.split_at_mut(k);
            rest = tail;
            outs = out_tail;
            let mut work = move || {
                for ((f, bins), o) in mine.iter_mut().zip(out.iter_mut()) {
                    *o = Some(bin_column(
                        &data.columns[*f][..n],
                        is_cat(*f),
                        max_bins,
                        bins,
                    ));
                }
            };
            if rest.is_empty() {
                work();
            } else {
                handles.push(s.spawn(work));
            }
        }
        for h in handles {
            // a panic while binning is a bug: let it surface
            if let Err(e) = h.join() {
                std::panic::resume_unwind(e);
            }
        }
    });
    Binned {
        n_rows: n,
        n_features: nf,
        columns,
        features: features
            .into_iter()
            .map(|f| {
                f.unwrap_or(FeatureBins {
                    categorical: false,
                    upper: Vec::new(),
                    cats: Vec::new(),
                })
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Histograms

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct HBin {
    g: f64,
    h: f64,
    n: u64,
}

impl HBin {
    #[inline]
    fn add(&mut self, o: &HBin) {
        self.g += o.g;
        self.h += o.h;
        self.n += o.n;
    }
    #[inline]
    fn sub(&self, o: &HBin) -> HBin {
        HBin {
            g: self.g - o.g,
            h: self.h - o.h,
            n: self.n.saturating_sub(o.n),
        }
    }
}

/// A row's gradient and hessian. f32 like LightGBM's: half the memory traffic, and the
/// histograms still sum them in f64.
type GradHess = [f32; 2];

/// Adds a leaf's rows to the histograms of N features, each in row order. `og[i]` is the
/// gradient of row `rows[i]` (gathered once per leaf, so this loop reads it sequentially).
/// Several features per pass: a row's index and gradient are loaded once for all of them,
/// and the N histogram updates are independent of each other.
fn hist_group<const N: usize>(
    cols: [&[u8]; N],
    rows: &[u32],
    og: &[GradHess],
    hists: [&mut [HBin; HIST_STRIDE]; N],
) {
    for (&r, gh) in rows.iter().zip(og) {
        let (g, h) = (gh[0] as f64, gh[1] as f64);
        for k in 0..N {
            let e = &mut hists[k][cols[k][r as usize] as usize];
            e.g += g;
            e.h += h;
            e.n += 1;
        }
    }
}

fn hist_features(b: &Binned, rows: &[u32], og: &[GradHess], f0: usize, hist: &mut [HBin]) {
    let mut f = f0;
    let mut rest = hist;
    while !rest.is_empty() {
        let group = if rest.len() >= 4 * HIST_STRIDE { 4 } else { 1 };
        let (mine, tail) = rest.split_at_mut(group * HIST_STRIDE);
        rest = tail;
        let mut parts = mine
            .chunks_exact_mut(HIST_STRIDE)
            .map(|h| <&mut [HBin; HIST_STRIDE]>::try_from(h).expect("chunks of HIST_STRIDE"));
        if group == 4 {
            let hists = std::array::from_fn(|_| parts.next().expect("four chunks"));
            let cols = std::array::from_fn(|k| b.column(f + k));
            hist_group::<4>(cols, rows, og, hists);
        } else if let Some(h) = parts.next() {
            hist_group::<1>([b.column(f)], rows, og, [h]);
        }
        f += group;
    }
}

/// The histogram of a set of rows, all features, built by up to `threads` workers each
/// owning a contiguous range of features. `og` is scratch space for the rows' gradients.
fn build_hist(
    b: &Binned,
    rows: &[u32],
    gh: &[GradHess],
    og: &mut Vec<GradHess>,
    hist: &mut [HBin],
    threads: usize,
) {
    hist.fill(HBin::default());
    og.clear();
    og.extend(rows.iter().map(|&r| gh[r as usize]));
    let og = &og[..];
    let nf = b.n_features;
    let workers = if rows.len() * nf < PARALLEL_MIN_WORK {
        1
    } else {
        threads.clamp(1, nf.max(1))
    };
    if workers <= 1 {
        hist_features(b, rows, og, 0, hist);
        return;
    }
    std::thread::scope(|s| {
        let mut rest = hist;
        let mut f0 = 0;
        for w in 0..workers {
            let f1 = nf * (w + 1) / workers;
            let (mine, tail) = rest.split_at_mut((f1 - f0) * HIST_STRIDE);
            rest = tail;
            let start = f0;
            if w + 1 == workers {
                hist_features(b, rows, og, start, mine);
            } else {
                s.spawn(move || hist_features(b, rows, og, start, mine));
            }
            f0 = f1;
        }
    });
}

// ---------------------------------------------------------------------------------------
// Split finding

/// A set of bins (256 bits): the bins going left.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct BinSet([u64; 4]);

impl BinSet {
    #[inline]
    fn contains(&self, bin: u8) -> bool {
        self.0[(bin >> 6) as usize] >> (bin & 63) & 1 == 1
    }
    fn insert(&mut self, bin: usize) {
        self.0[bin >> 6] |= 1 << (bin & 63);
    }
}

#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    left_bins: BinSet,
    /// numeric: the last value bin going left; categorical: unused
    threshold_bin: usize,
    default_left: bool,
    left: HBin,
    right: HBin,
    /// the L2 regularization of the children's values (categorical splits add CAT_L2)
    l2: f64,
}

struct SplitCtx<'a> {
    params: &'a Params,
    /// the gain of the unsplit node
    parent_gain: f64,
    total: HBin,
}

#[inline]
fn leaf_gain(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

impl SplitCtx<'_> {
    fn fits(&self, s: &HBin) -> bool {
        s.n as usize >= self.params.min_data_in_leaf && s.h >= self.params.min_sum_hessian_in_leaf
    }

    fn gain(&self, left: &HBin, right: &HBin, l2: f64) -> f64 {
        leaf_gain(left.g, left.h, l2) + leaf_gain(right.g, right.h, l2) - self.parent_gain
    }
}

/// The best split of a numeric feature: every threshold, missing values right then left.
fn best_numeric(ctx: &SplitCtx, fb: &FeatureBins, f: usize, hist: &[HBin]) -> Option<Split> {
    let nvb = fb.n_value_bins();
    let missing = hist[fb.missing_bin()];
    let l2 = ctx.params.lambda_l2;
    let mut best: Option<Split> = None;
    let dirs: &[bool] = if missing.n > 0 {
        &[false, true]
    } else {
        &[false]
    };
    for &default_left in dirs {
        let mut acc = if default_left {
            missing
        } else {
            HBin::default()
        };
        for (t, bin) in hist.iter().enumerate().take(nvb) {
            acc.add(bin);
            // every value left: a split only when the missing values go right
            if t + 1 == nvb && (default_left || missing.n == 0) {
                break;
            }
            if !ctx.fits(&acc) {
                continue;
            }
            let right = ctx.total.sub(&acc);
            if !ctx.fits(&right) {
                break;
            }
            let gain = ctx.gain(&acc, &right, l2);
            if gain > 0.0 && best.as_ref().is_none_or(|b| gain > b.gain) {
                // without missing values in the node, unseen missing values follow the
                // larger side
                let dl = if missing.n > 0 {
                    default_left
                } else {
                    acc.n >= right.n
                };
                best = Some(Split {
                    gain,
                    feature: f,
                    // filled in below, once
                    left_bins: BinSet::default(),
                    threshold_bin: t,
                    default_left: dl,
                    left: acc,
                    right,
                    l2,
                });
            }
        }
    }
    if let Some(b) = best.as_mut() {
        for bin in 0..=b.threshold_bin {
            b.left_bins.insert(bin);
        }
        if b.default_left {
            b.left_bins.insert(fb.missing_bin());
        }
    }
    best
}

/// An f64 ordered by `total_cmp` (a sort key).
struct OrdF64(f64);

impl PartialEq for OrdF64 {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

/// The best split of a categorical feature, LightGBM's way (see the module comment).
fn best_categorical(ctx: &SplitCtx, fb: &FeatureBins, f: usize, hist: &[HBin]) -> Option<Split> {
    let nvb = fb.n_value_bins();
    let p = ctx.params;
    let mut best: Option<Split> = None;
    let consider = |left_bins: BinSet, left: HBin, l2: f64, best: &mut Option<Split>| {
        let right = ctx.total.sub(&left);
        let gain = ctx.gain(&left, &right, l2);
        if gain > 0.0 && best.as_ref().is_none_or(|b| gain > b.gain) {
            *best = Some(Split {
                gain,
                feature: f,
                left_bins,
                threshold_bin: 0,
                default_left: false,
                left,
                right,
                l2,
            });
        }
    };
    if nvb <= MAX_CAT_TO_ONEHOT {
        // one category against the rest
        for (t, bin) in hist.iter().enumerate().take(nvb) {
            let right = ctx.total.sub(bin);
            if !ctx.fits(bin) || !ctx.fits(&right) {
                continue;
            }
            let mut set = BinSet::default();
            set.insert(t);
            consider(set, *bin, p.lambda_l2, &mut best);
        }
        return best;
    }
    let mut used: Vec<usize> = (0..nvb)
        .filter(|&t| hist[t].n as f64 >= CAT_SMOOTH)
        .collect();
    // stable: equal ratios keep bin order
    used.sort_by_cached_key(|&t| OrdF64(hist[t].g / (hist[t].h + CAT_SMOOTH)));
    let l2 = p.lambda_l2 + CAT_L2;
    let max_cats = MAX_CAT_THRESHOLD.min(used.len().div_ceil(2).max(1));
    for from_end in [false, true] {
        let mut left = HBin::default();
        let mut group = 0usize;
        let mut set = BinSet::default();
        for i in 0..used.len().min(max_cats) {
            let t = if from_end {
                used[used.len() - 1 - i]
            } else {
                used[i]
            };
            left.add(&hist[t]);
            set.insert(t);
            group += hist[t].n as usize;
            if !ctx.fits(&left) {
                continue;
            }
            let right = ctx.total.sub(&left);
            if !ctx.fits(&right) || (right.n as usize) < MIN_DATA_PER_GROUP {
                break;
            }
            if group < MIN_DATA_PER_GROUP {
                continue;
            }
            group = 0;
            consider(set, left, l2, &mut best);
        }
    }
    best
}

/// The best split of a leaf over all features (ties: the lowest feature index).
fn best_split(b: &Binned, hist: &[HBin], total: HBin, params: &Params) -> Option<Split> {
    if (total.n as usize) < 2 * params.min_data_in_leaf.max(1) {
        return None;
    }
    let ctx = SplitCtx {
        params,
        parent_gain: leaf_gain(total.g, total.h, params.lambda_l2),
        total,
    };
    let mut best: Option<Split> = None;
    for (f, fb) in b.features.iter().enumerate() {
        let h = &hist[f * HIST_STRIDE..(f + 1) * HIST_STRIDE];
        let s = if fb.categorical {
            best_categorical(&ctx, fb, f, h)
        } else {
            best_numeric(&ctx, fb, f, h)
        };
        if let Some(s) = s {
            if best.as_ref().is_none_or(|bs| s.gain > bs.gain) {
                best = Some(s);
            }
        }
    }
    best
}

// ---------------------------------------------------------------------------------------
// Tree growth

/// A leaf while the tree grows: its rows are `rows[start..end]` of the grower's index.
struct GrowLeaf {
    start: usize,
    end: usize,
    sum: HBin,
    l2: f64,
    hist: Option<Vec<HBin>>,
    split: Option<Split>,
    /// where the leaf hangs: (node, is_left); None for the root
    parent: Option<(usize, bool)>,
    depth: u32,
}

struct Grower<'a> {
    b: &'a Binned,
    params: &'a Params,
    threads: usize,
    /// row indexes, partitioned so that each leaf's rows are contiguous
    rows: Vec<u32>,
    scratch: Vec<u32>,
    ordered: Vec<GradHess>,
    spare_hists: Vec<Vec<HBin>>,
}

impl<'a> Grower<'a> {
    fn new(b: &'a Binned, params: &'a Params, threads: usize) -> Self {
        Grower {
            b,
            params,
            threads,
            rows: Vec::with_capacity(b.n_rows),
            scratch: Vec::with_capacity(b.n_rows),
            ordered: Vec::with_capacity(b.n_rows),
            spare_hists: Vec::new(),
        }
    }

    fn new_hist(&mut self) -> Vec<HBin> {
        self.spare_hists
            .pop()
            .unwrap_or_else(|| vec![HBin::default(); self.b.n_features * HIST_STRIDE])
    }

    /// Splits `rows[start..end]` stably: rows going left first. Returns the boundary.
    /// A large range is cut in two halves partitioned by two threads, then laid out as
    /// left0 left1 right0 right1: the same order as one thread's.
    fn partition(&mut self, start: usize, end: usize, split: &Split) -> usize {
        let col = self.b.column(split.feature);
        let set = &split.left_bins;
        let rows = &mut self.rows[start..end];
        self.scratch.clear();
        self.scratch.resize(rows.len(), 0);
        let scratch = &mut self.scratch[..];
        if self.threads < 2 || rows.len() < PARALLEL_MIN_PARTITION {
            let left = partition_stable(rows, scratch, col, set);
            return start + left;
        }
        let half = rows.len() / 2;
        let (rows0, rows1) = rows.split_at_mut(half);
        let (scratch0, scratch1) = scratch.split_at_mut(half);
        let (left0, left1) = std::thread::scope(|s| {
            let t = s.spawn(|| partition_stable(rows1, scratch1, col, set));
            let left0 = partition_stable(rows0, scratch0, col, set);
            (left0, t.join().unwrap_or(0))
        });
        // rows: [L0 R0 | L1 R1], the right parts also in scratch at the same places
        let (right0, right1) = (half - left0, rows.len() - half - left1);
        rows.copy_within(half..half + left1, left0);
        let mut w = left0 + left1;
        rows[w..w + right0].copy_from_slice(&self.scratch[left0..half]);
        w += right0;
        rows[w..].copy_from_slice(&self.scratch[half + left1..half + left1 + right1]);
        start + left0 + left1
    }

    /// Grows one tree on the gradients; returns it with the leaves' row ranges (for the
    /// training margins' update).
    fn grow(&mut self, gh: &[GradHess]) -> (Tree, Vec<(usize, usize)>) {
        let b = self.b;
        let params = self.params;
        self.rows.clear();
        self.rows.extend(0..b.n_rows as u32);
        let mut root_hist = self.new_hist();
        build_hist(
            b,
            &self.rows,
            gh,
            &mut self.ordered,
            &mut root_hist,
            self.threads,
        );
        let mut sum = HBin::default();
        for &[g, h] in gh.iter().take(b.n_rows) {
            sum.g += g as f64;
            sum.h += h as f64;
        }
        sum.n = b.n_rows as u64;
        let split = best_split(b, &root_hist, sum, params);
        let mut leaves = vec![GrowLeaf {
            start: 0,
            end: b.n_rows,
            sum,
            l2: params.lambda_l2,
            hist: Some(root_hist),
            split,
            parent: None,
            depth: 0,
        }];
        let mut tree = Tree {
            nodes: Vec::new(),
            gain: Vec::new(),
            node_cover: Vec::new(),
            leaf_value: Vec::new(),
            leaf_cover: Vec::new(),
            cats: Vec::new(),
            depth: 0,
        };
        while leaves.len() < params.num_leaves.max(1) {
            let Some(li) = pick_leaf(&leaves) else { break };
            self.split_leaf(&mut leaves, li, &mut tree, gh);
        }
        for leaf in &mut leaves {
            if let Some(h) = leaf.hist.take() {
                self.spare_hists.push(h);
            }
            let value = -leaf.sum.g / (leaf.sum.h + leaf.l2) * params.learning_rate;
            tree.leaf_value
                .push(if value.is_finite() { value } else { 0.0 });
            tree.leaf_cover.push(leaf.sum.n as f64);
            tree.depth = tree.depth.max(leaf.depth);
        }
        let ranges = leaves.iter().map(|l| (l.start, l.end)).collect();
        (tree, ranges)
    }

    fn split_leaf(
        &mut self,
        leaves: &mut Vec<GrowLeaf>,
        li: usize,
        tree: &mut Tree,
        gh: &[GradHess],
    ) {
        let Some(split) = leaves[li].split.take() else {
            return;
        };
        let (start, end) = (leaves[li].start, leaves[li].end);
        let mid = self.partition(start, end, &split);
        let node = tree.nodes.len();
        let new_leaf = leaves.len() as i32;
        let n = self.make_node(&split, li as i32, new_leaf, tree);
        tree.nodes.push(n);
        tree.gain.push(split.gain);
        tree.node_cover.push(leaves[li].sum.n as f64);
        if let Some((p, is_left)) = leaves[li].parent {
            if is_left {
                tree.nodes[p].left = node as i32;
            } else {
                tree.nodes[p].right = node as i32;
            }
        }
        // a child needs a histogram only to look for its own split: not when it is too
        // small to split, nor after the tree's last split
        let params = self.params;
        let full = leaves.len() + 1 >= params.num_leaves;
        let can_split = |rows: usize| !full && rows >= 2 * params.min_data_in_leaf.max(1);
        let (left_can, right_can) = (can_split(mid - start), can_split(end - mid));
        let (left_hist, right_hist) = if left_can || right_can {
            self.child_hists(
                leaves[li].hist.take(),
                (start, mid, end),
                gh,
                left_can,
                right_can,
            )
        } else {
            if let Some(h) = leaves[li].hist.take() {
                self.spare_hists.push(h);
            }
            (None, None)
        };
        let depth = leaves[li].depth + 1;
        let (left_split, right_split) = self.child_splits(
            left_hist.as_deref(),
            right_hist.as_deref(),
            &split,
            end - start,
        );
        leaves[li] = GrowLeaf {
            start,
            end: mid,
            sum: split.left,
            l2: split.l2,
            hist: left_hist,
            split: left_split,
            parent: Some((node, true)),
            depth,
        };
        leaves.push(GrowLeaf {
            start: mid,
            end,
            sum: split.right,
            l2: split.l2,
            hist: right_hist,
            split: right_split,
            parent: Some((node, false)),
            depth,
        });
        // a leaf with a histogram but no split (no gain anywhere) no longer needs it
        for l in [li, leaves.len() - 1] {
            if leaves[l].split.is_none() {
                if let Some(h) = leaves[l].hist.take() {
                    self.spare_hists.push(h);
                }
            }
        }
    }

    /// The children's histograms (None for a child that will not split). The smaller
    /// child's is built from its rows, the larger one's is the parent's minus it, in the
    /// parent's buffer.
    fn child_hists(
        &mut self,
        parent: Option<Vec<HBin>>,
        (start, mid, end): (usize, usize, usize),
        gh: &[GradHess],
        left_can: bool,
        right_can: bool,
    ) -> (Option<Vec<HBin>>, Option<Vec<HBin>>) {
        let b = self.b;
        let left_smaller = mid - start <= end - mid;
        let (s0, s1) = if left_smaller {
            (start, mid)
        } else {
            (mid, end)
        };
        let mut small = self.new_hist();
        let rows = &self.rows[s0..s1];
        build_hist(b, rows, gh, &mut self.ordered, &mut small, self.threads);
        let larger_can = if left_smaller { right_can } else { left_can };
        let large = match parent {
            Some(mut p) if larger_can => {
                for (p, s) in p.iter_mut().zip(&small) {
                    *p = p.sub(s);
                }
                Some(p)
            }
            Some(p) => {
                self.spare_hists.push(p);
                None
            }
            None if larger_can => {
                // no parent histogram (not expected): build the larger child's directly
                let mut h = self.new_hist();
                let (l0, l1) = if left_smaller {
                    (mid, end)
                } else {
                    (start, mid)
                };
                let rows = &self.rows[l0..l1];
                build_hist(b, rows, gh, &mut self.ordered, &mut h, self.threads);
                Some(h)
            }
            None => None,
        };
        let smaller_can = if left_smaller { left_can } else { right_can };
        let small = if smaller_can {
            Some(small)
        } else {
            self.spare_hists.push(small);
            None
        };
        if left_smaller {
            (small, large)
        } else {
            (large, small)
        }
    }

    /// The children's best splits; on two threads when both have a histogram and the
    /// parent is large enough to pay for one.
    fn child_splits(
        &self,
        left_hist: Option<&[HBin]>,
        right_hist: Option<&[HBin]>,
        split: &Split,
        rows: usize,
    ) -> (Option<Split>, Option<Split>) {
        let (b, params) = (self.b, self.params);
        let find = |h: Option<&[HBin]>, sum: HBin| h.and_then(|h| best_split(b, h, sum, params));
        if self.threads >= 2
            && rows >= PARALLEL_MIN_SPLIT
            && left_hist.is_some()
            && right_hist.is_some()
        {
            std::thread::scope(|s| {
                let right = s.spawn(|| find(right_hist, split.right));
                let left = find(left_hist, split.left);
                // a panic in the worker is a bug; its split is then just not taken
                (left, right.join().unwrap_or(None))
            })
        } else {
            (find(left_hist, split.left), find(right_hist, split.right))
        }
    }

    /// The scoring form of a split: raw thresholds and category ids, no bins.
    fn make_node(&self, split: &Split, left: i32, right: i32, tree: &mut Tree) -> Node {
        let fb = &self.b.features[split.feature];
        let mut node = Node {
            feature: split.feature as u32,
            threshold: 0.0,
            left: !left,
            right: !right,
            cat_start: 0,
            cat_len: 0,
            default_left: split.default_left,
        };
        if fb.categorical {
            node.cat_start = tree.cats.len() as u32;
            for (bin, &id) in fb.cats.iter().enumerate() {
                if split.left_bins.contains(bin as u8) {
                    tree.cats.push(id);
                }
            }
            node.cat_len = tree.cats.len() as u32 - node.cat_start;
            node.default_left = false;
        } else {
            // the last value bin going left (a missing-against-the-rest split) has no upper
            // edge: every non-missing value goes left
            node.threshold = fb
                .upper
                .get(split.threshold_bin)
                .copied()
                .unwrap_or(f32::MAX);
        }
        node
    }
}

/// Partitions `rows` stably by `set` of their bins in `col`: the left rows end up first in
/// `rows`, and the right rows are in `rows` and `scratch` at the same places after them.
/// Returns the number of left rows. Branch-free: where a row goes is data, not control
/// flow (half the rows would be mispredicted otherwise).
fn partition_stable(rows: &mut [u32], scratch: &mut [u32], col: &[u8], set: &BinSet) -> usize {
    let n = rows.len();
    let (mut left, mut right) = (0, 0);
    for i in 0..n {
        let r = rows[i];
        let go_left = set.contains(col[r as usize]);
        // left <= i: this overwrites a row already read
        rows[left] = r;
        scratch[right] = r;
        left += go_left as usize;
        right += !go_left as usize;
    }
    // the right rows go after the left ones, in scratch at the same places as in rows
    scratch.copy_within(0..right, left);
    rows[left..].copy_from_slice(&scratch[left..n]);
    left
}

/// The leaf with the best split (ties: the lowest index), None when no leaf can split.
fn pick_leaf(leaves: &[GrowLeaf]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, l) in leaves.iter().enumerate() {
        if let Some(s) = &l.split {
            if best.is_none_or(|(_, g)| s.gain > g) {
                best = Some((i, s.gain));
            }
        }
    }
    best.map(|(i, _)| i)
}

// ---------------------------------------------------------------------------------------
// Boosting

#[inline]
fn sigmoid(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

/// Log loss of one row at margin `m`, computed without overflow.
#[inline]
fn log_loss(m: f64, y: bool) -> f64 {
    let softplus = m.max(0.0) + (-m.abs()).exp().ln_1p();
    if y {
        softplus - m
    } else {
        softplus
    }
}

/// Logistic loss gradients and hessians at the current margins, elementwise (so on two
/// threads for large data, with the same result).
fn gradients(gh: &mut [GradHess], margin: &[f64], labels: &[bool], threads: usize) {
    let one = |gh: &mut [GradHess], margin: &[f64], labels: &[bool]| {
        for ((gh, &m), &y) in gh.iter_mut().zip(margin).zip(labels) {
            let p = sigmoid(m);
            let g = p - if y { 1.0 } else { 0.0 };
            *gh = [g as f32, (p * (1.0 - p)).max(1e-16) as f32];
        }
    };
    if threads < 2 || gh.len() < PARALLEL_MIN_PARTITION {
        one(gh, margin, labels);
        return;
    }
    let half = gh.len() / 2;
    let (g0, g1) = gh.split_at_mut(half);
    std::thread::scope(|s| {
        s.spawn(|| one(g1, &margin[half..], &labels[half..]));
        one(g0, &margin[..half], &labels[..half]);
    });
}

fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8)
}

/// The number of usable rows: training data is ours, but a short column or label list
/// must not panic.
fn usable_rows(d: &Dataset, labels: &[bool]) -> usize {
    d.columns
        .iter()
        .map(Vec::len)
        .fold(d.n_rows.min(labels.len()), usize::min)
}

/// Trains on `train` (labels: true = fraud), early stopping on `valid` when given (the
/// returned booster keeps the best iteration's trees). `progress` is called after each tree
/// from the calling thread; returning false cancels.
pub fn train(
    train: &Dataset,
    labels: &[bool],
    valid: Option<(&Dataset, &[bool])>,
    params: &Params,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Booster, Cancelled> {
    train_with_threads(train, labels, valid, params, worker_threads(), progress)
}

/// [`train`] with an explicit number of histogram workers (the result does not depend on
/// it; tests check that).
pub fn train_with_threads(
    train: &Dataset,
    labels: &[bool],
    valid: Option<(&Dataset, &[bool])>,
    params: &Params,
    threads: usize,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Result<Booster, Cancelled> {
    let n = usable_rows(train, labels);
    let n_features = train.columns.len();
    let positives = labels[..n].iter().filter(|&&y| y).count();
    let prior = ((positives as f64) / (n.max(1) as f64)).clamp(1e-12, 1.0 - 1e-12);
    let base_margin = if n == 0 {
        0.0
    } else {
        (prior / (1.0 - prior)).ln()
    };
    if n == 0 {
        return Ok(Booster::from_trees(n_features, base_margin, Vec::new()));
    }
    let b = bin_dataset(train, n, params.max_bins, threads);
    let mut grower = Grower::new(&b, params, threads);
    let mut margin = vec![base_margin; n];
    let mut gh: Vec<GradHess> = vec![[0.0; 2]; n];
    // the validation rows row-major: a tree reads a few scattered features of a row
    let valid = valid.map(|(d, y)| {
        let nv = usable_rows(d, y);
        // a column the validation set lacks reads as missing
        let mut rows = vec![f32::NAN; nv * n_features];
        for (f, col) in d.columns.iter().enumerate().take(n_features) {
            for (r, &x) in col[..nv].iter().enumerate() {
                rows[r * n_features + f] = x;
            }
        }
        (rows, &y[..nv], vec![base_margin; nv])
    });
    let mut valid = valid.filter(|v| !v.1.is_empty());
    let mut best = (f64::NAN, 0usize);
    let mut trees = Vec::new();
    for t in 0..params.max_trees {
        gradients(&mut gh, &margin, &labels[..n], threads);
        let (tree, ranges) = grower.grow(&gh);
        for (leaf, &(s, e)) in ranges.iter().enumerate() {
            let v = tree.leaf_value[leaf];
            for &r in &grower.rows[s..e] {
                margin[r as usize] += v;
            }
        }
        let mut stop = false;
        if let Some((rows, y, vm)) = valid.as_mut() {
            let mut loss = 0.0;
            let row_len = n_features.max(1);
            for ((m, &yr), row) in vm.iter_mut().zip(y.iter()).zip(rows.chunks_exact(row_len)) {
                *m += tree.leaf_value[tree.leaf(|f| row.get(f).copied().unwrap_or(f32::NAN))];
                loss += log_loss(*m, yr);
            }
            loss /= y.len() as f64;
            if best.0.is_nan() || loss < best.0 {
                best = (loss, t + 1);
            } else if t + 1 - best.1 >= params.early_stopping_rounds.max(1) {
                stop = true;
            }
        }
        let single_leaf = tree.nodes.is_empty();
        trees.push(tree);
        let p = Progress {
            trees: t + 1,
            max_trees: params.max_trees,
            best_valid_loss: best.0,
        };
        if !progress(&p) {
            return Err(Cancelled);
        }
        // a tree without split will be followed by the same one forever
        if stop || single_leaf {
            break;
        }
    }
    if valid.is_some() && best.1 > 0 {
        trees.truncate(best.1);
    }
    Ok(Booster::from_trees(n_features, base_margin, trees))
}

// ---------------------------------------------------------------------------------------
// Scoring and explanations

/// One element of TreeSHAP's path (Lundberg et al. 2018, Algorithm 2).
#[derive(Debug, Clone, Copy, Default)]
struct PathElem {
    feature: i64,
    zero: f64,
    one: f64,
    pweight: f64,
}

/// TreeSHAP's path buffer for a tree of depth `depth`: a level at depth d uses d + 1
/// elements, for d up to depth + 1 (the leaves).
fn shap_buffer_len(depth: u32) -> usize {
    let d = depth as usize + 2;
    d * (d + 1) / 2
}

/// The stack path buffer's length: enough for depth 30.
const STACK_PATH: usize = 32 * 33 / 2;

/// 1/k for small k: TreeSHAP's loops divide by path positions, and a division in a
/// loop-carried chain costs several multiplications' latency.
const RECIP: [f64; 64] = {
    let mut t = [0.0; 64];
    let mut k = 1;
    while k < 64 {
        t[k] = 1.0 / k as f64;
        k += 1;
    }
    t
};

#[inline]
fn recip(k: usize) -> f64 {
    match RECIP.get(k) {
        Some(&r) if k > 0 => r,
        _ => 1.0 / k as f64,
    }
}

fn extend_path(path: &mut [PathElem], depth: usize, zero: f64, one: f64, feature: i64) {
    path[depth] = PathElem {
        feature,
        zero,
        one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let inv_d1 = recip(depth + 1);
    for i in (0..depth).rev() {
        path[i + 1].pweight += one * path[i].pweight * (i + 1) as f64 * inv_d1;
        path[i].pweight = zero * path[i].pweight * (depth - i) as f64 * inv_d1;
    }
}

fn unwind_path(path: &mut [PathElem], depth: usize, index: usize) {
    let one = path[index].one;
    let zero = path[index].zero;
    let mut next = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    let inv_d1 = recip(depth + 1);
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next * d1 * recip(i + 1) / one;
            next = tmp - path[i].pweight * zero * (depth - i) as f64 * inv_d1;
        } else {
            path[i].pweight = path[i].pweight * d1 * recip(depth - i) / zero;
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
}

/// The total weight of the paths with element `index` unwound (Algorithm 2's
/// UNWOUNDSUM), the inner loop of TreeSHAP: divisions are hoisted out of its chain.
fn unwound_path_sum(path: &[PathElem], depth: usize, index: usize) -> f64 {
    let one = path[index].one;
    let zero = path[index].zero;
    let mut total = 0.0;
    let d1 = (depth + 1) as f64;
    if one != 0.0 {
        let a = d1 / one;
        let b = zero / d1;
        let mut next = path[depth].pweight;
        for i in (0..depth).rev() {
            // the factors off the `next` chain are multiplied first
            let tmp = next * (a * recip(i + 1));
            total += tmp;
            next = path[i].pweight - tmp * (b * (depth - i) as f64);
        }
    } else if zero != 0.0 {
        let a = d1 / zero;
        for i in (0..depth).rev() {
            total += path[i].pweight * a * recip(depth - i);
        }
    }
    total
}

impl Tree {
    /// Path-dependent TreeSHAP from `node` (a node index or `!leaf`). `parent` is the
    /// parent's path (its length is this level's depth); this level's path is built in the
    /// first `depth + 1` elements of `buf`, deeper levels use the rest.
    #[allow(clippy::too_many_arguments)]
    fn shap(
        &self,
        row: &[f32],
        phi: &mut [f64],
        node: i32,
        parent: &[PathElem],
        buf: &mut [PathElem],
        zero: f64,
        one: f64,
        feature: i64,
    ) {
        let mut depth = parent.len();
        let (here, rest) = buf.split_at_mut(depth + 1);
        here[..depth].copy_from_slice(parent);
        extend_path(here, depth, zero, one, feature);
        if node < 0 {
            let value = self.leaf_value[!node as usize];
            for i in 1..=depth {
                let w = unwound_path_sum(here, depth, i);
                let e = here[i];
                if let Some(p) = phi.get_mut(e.feature as usize) {
                    *p += w * (e.one - e.zero) * value;
                }
            }
            return;
        }
        let n = &self.nodes[node as usize];
        let x = row.get(n.feature as usize).copied().unwrap_or(f32::NAN);
        let (hot, cold) = if self.go_left(n, x) {
            (n.left, n.right)
        } else {
            (n.right, n.left)
        };
        let w = self.node_cover[node as usize];
        let hot_zero = self.cover(hot) / w;
        let cold_zero = self.cover(cold) / w;
        let mut in_zero = 1.0;
        let mut in_one = 1.0;
        let f = n.feature as i64;
        // a feature split on again higher up: undo its earlier contribution to the path
        if let Some(k) = (1..=depth).find(|&k| here[k].feature == f) {
            in_zero = here[k].zero;
            in_one = here[k].one;
            unwind_path(here, depth, k);
            depth -= 1;
        }
        let path = &here[..=depth];
        self.shap(row, phi, hot, path, rest, hot_zero * in_zero, in_one, f);
        self.shap(row, phi, cold, path, rest, cold_zero * in_zero, 0.0, f);
    }

    /// Adds this tree's SHAP values to `phi` (length n_features); `buf` holds at least
    /// `shap_buffer_len(self.depth)` elements.
    fn add_shap(&self, row: &[f32], phi: &mut [f64], buf: &mut [PathElem]) {
        if self.nodes.is_empty() {
            return;
        }
        self.shap(row, phi, 0, &[], buf, 1.0, 1.0, -1);
    }
}

impl Booster {
    fn from_trees(n_features: usize, base_margin: f64, trees: Vec<Tree>) -> Booster {
        let flat = Flat::new(&trees);
        Booster {
            n_features,
            base_margin,
            trees,
            flat,
        }
    }

    /// The log-odds of fraud for one row (`row.len() == n_features`, NaN missing; a
    /// shorter row reads as missing values).
    pub fn margin(&self, row: &[f32]) -> f64 {
        let value = |f: usize| row.get(f).copied().unwrap_or(f32::NAN);
        self.base_margin + self.flat.score(value)
    }

    /// Exact per-feature contributions to `margin(row)` (TreeSHAP): `out.len() ==
    /// n_features + 1`, the last is the expected value; they sum to the margin.
    pub fn contributions(&self, row: &[f32], out: &mut [f64]) {
        out.fill(0.0);
        let nf = self.n_features.min(out.len());
        let mut expected = self.base_margin;
        // the path buffer: on the stack for trees up to depth 30 (any tree of up to 31
        // leaves), so that explaining a row does not allocate
        let depth = self.trees.iter().map(|t| t.depth).max().unwrap_or(0);
        let need = shap_buffer_len(depth);
        let mut stack = [PathElem::default(); STACK_PATH];
        let mut heap = Vec::new();
        let buf: &mut [PathElem] = if need <= STACK_PATH {
            &mut stack
        } else {
            heap.resize(need, PathElem::default());
            &mut heap
        };
        for t in &self.trees {
            expected += t.expected_value();
            t.add_shap(row, &mut out[..nf], buf);
        }
        if let Some(last) = out.get_mut(self.n_features) {
            *last = expected;
        }
    }

    /// Number of trees kept.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// The total split gain of each feature over all trees (LightGBM's
    /// `importance_type="gain"`).
    pub fn feature_importance_gain(&self) -> Vec<f64> {
        let mut gain = vec![0.0; self.n_features];
        for t in &self.trees {
            for (n, g) in t.nodes.iter().zip(&t.gain) {
                if let Some(s) = gain.get_mut(n.feature as usize) {
                    *s += g;
                }
            }
        }
        gain
    }

    /// The number of splits on each feature over all trees (LightGBM's
    /// `importance_type="split"`).
    pub fn feature_importance_split(&self) -> Vec<usize> {
        let mut count = vec![0; self.n_features];
        for t in &self.trees {
            for n in &t.nodes {
                if let Some(s) = count.get_mut(n.feature as usize) {
                    *s += 1;
                }
            }
        }
        count
    }

    /// Margins of the rows of a column-major dataset (batch scoring, e.g. evaluation).
    pub fn margins(&self, data: &Dataset) -> Vec<f64> {
        let n = data
            .columns
            .iter()
            .map(Vec::len)
            .fold(data.n_rows, usize::min);
        let mut row = vec![f32::NAN; self.n_features];
        (0..n)
            .map(|r| {
                for (x, c) in row.iter_mut().zip(&data.columns) {
                    *x = c[r];
                }
                self.margin(&row)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a small deterministic generator for test data.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// uniform in [0, 1)
        fn unif(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let u = self.unif().max(1e-300);
            let v = self.unif();
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn auc(scores: &[f64], labels: &[bool]) -> f64 {
        let mut idx: Vec<usize> = (0..scores.len()).collect();
        idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        // ranks with ties averaged
        let mut rank_sum = 0.0;
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
                j += 1;
            }
            let r = (i + j) as f64 / 2.0 + 1.0;
            for &k in &idx[i..=j] {
                if labels[k] {
                    rank_sum += r;
                }
            }
            i = j + 1;
        }
        let p = labels.iter().filter(|&&y| y).count() as f64;
        let n = labels.len() as f64 - p;
        (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
    }

    /// A synthetic fraud-like set: numeric signal, a missingness signal, a categorical
    /// signal, noise, and optionally a high-cardinality noise categorical.
    fn synth(n: usize, seed: u64, noise_cat: bool) -> (Dataset, Vec<bool>) {
        let mut rng = Rng(seed);
        let nf = if noise_cat { 7 } else { 6 };
        let mut cols = vec![Vec::with_capacity(n); nf];
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let x0 = rng.normal();
            let x1 = rng.normal();
            let x2 = if rng.unif() < 0.3 {
                f64::NAN
            } else {
                rng.normal()
            };
            let cat = rng.below(20);
            let x4 = rng.normal();
            let x5 = rng.unif() * 100.0;
            let mut z = -2.0 + 1.5 * x0 - x1 * x1 * 0.5 + 0.5 * x0 * x4;
            if x2.is_nan() {
                z += 1.5;
            }
            if cat.is_multiple_of(5) {
                z += 1.5;
            }
            labels.push(rng.unif() < sigmoid(z));
            let vals = [x0, x1, x2, cat as f64, x4, x5];
            for (c, v) in cols.iter_mut().zip(vals) {
                c.push(v as f32);
            }
            if noise_cat {
                cols[6].push(rng.below(3000) as f32);
            }
        }
        let mut categorical = vec![false; nf];
        categorical[3] = true;
        if noise_cat {
            categorical[6] = true;
        }
        let d = Dataset {
            n_rows: n,
            columns: cols,
            categorical,
        };
        (d, labels)
    }

    fn fit(d: &Dataset, y: &[bool], params: &Params) -> Booster {
        train(d, y, None, params, &mut |_| true).expect("not cancelled")
    }

    fn small_params(trees: usize) -> Params {
        Params {
            max_trees: trees,
            ..Params::default()
        }
    }

    fn row(d: &Dataset, r: usize) -> Vec<f32> {
        d.columns.iter().map(|c| c[r]).collect()
    }

    #[test]
    fn learns_a_known_signal() {
        let (d, y) = synth(6000, 1, false);
        let (t, ty) = synth(3000, 2, false);
        let b = fit(&d, &y, &small_params(40));
        assert_eq!(b.n_trees(), 40);
        let a = auc(&b.margins(&t), &ty);
        assert!(a > 0.80, "auc {a}");
        // the per-row and the batch scoring agree
        let m = b.margins(&t);
        for (r, &mr) in m.iter().enumerate().take(50) {
            assert_eq!(b.margin(&row(&t, r)), mr);
        }
    }

    #[test]
    fn learns_a_signal_carried_by_missingness() {
        let mut rng = Rng(7);
        let n = 4000;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let missing = rng.unif() < 0.4;
            x.push(if missing {
                f32::NAN
            } else {
                rng.normal() as f32
            });
            y.push(rng.unif() < if missing { 0.6 } else { 0.1 });
        }
        let d = Dataset {
            n_rows: n,
            columns: vec![x],
            categorical: vec![false],
        };
        let b = fit(&d, &y, &small_params(100));
        let p_missing = sigmoid(b.margin(&[f32::NAN]));
        let p_present = sigmoid(b.margin(&[0.0]));
        assert!(
            p_missing > 0.5 && p_present < 0.2,
            "{p_missing} {p_present}"
        );
    }

    #[test]
    fn learns_a_categorical_signal() {
        let mut rng = Rng(11);
        let n = 6000;
        let (mut c, mut y) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let cat = rng.below(30);
            c.push(cat as f32);
            // scattered fraud-prone categories: no numeric threshold isolates them
            y.push(rng.unif() < if cat % 7 == 3 { 0.5 } else { 0.05 });
        }
        let d = Dataset {
            n_rows: n,
            columns: vec![c],
            categorical: vec![true],
        };
        let b = fit(&d, &y, &small_params(20));
        for cat in 0..30u32 {
            let p = sigmoid(b.margin(&[cat as f32]));
            if cat % 7 == 3 {
                assert!(p > 0.3, "cat {cat}: {p}");
            } else {
                assert!(p < 0.15, "cat {cat}: {p}");
            }
        }
        // an unseen category and a missing value go with the majority (right)
        assert!(sigmoid(b.margin(&[999.0])) < 0.15);
        assert!(sigmoid(b.margin(&[f32::NAN])) < 0.15);
        assert!(b
            .trees
            .iter()
            .any(|t| t.nodes.iter().any(|n| n.cat_len > 1)));
    }

    #[test]
    fn noise_categorical_does_not_hurt() {
        let (d, y) = synth(8000, 3, true);
        let (t, ty) = synth(4000, 4, true);
        let params = small_params(40);
        let with = auc(&fit(&d, &y, &params).margins(&t), &ty);
        let mut d6 = d.clone();
        d6.columns.pop();
        d6.categorical.pop();
        let mut t6 = t.clone();
        t6.columns.pop();
        t6.categorical.pop();
        let without = auc(&fit(&d6, &y, &params).margins(&t6), &ty);
        assert!(with > without - 0.01, "with {with} without {without}");
    }

    #[test]
    fn deterministic_across_runs_and_threads() {
        let (d, y) = synth(12000, 5, true);
        let params = small_params(8);
        let run = |threads| {
            let b = train_with_threads(&d, &y, None, &params, threads, &mut |_| true).unwrap();
            serde_json::to_string(&b).unwrap()
        };
        let one = run(1);
        assert_eq!(one, run(1));
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }

    #[test]
    fn early_stopping_keeps_the_best_iteration() {
        // few rows, pure noise features beside a weak signal: validation loss turns up soon
        let (d, y) = synth(1500, 6, true);
        let (v, vy) = synth(1500, 7, true);
        let params = Params {
            max_trees: 300,
            early_stopping_rounds: 10,
            min_data_in_leaf: 5,
            ..Params::default()
        };
        let mut last = None;
        let b = train(&d, &y, Some((&v, &vy)), &params, &mut |p| {
            last = Some(p.clone());
            true
        })
        .unwrap();
        let last = last.unwrap();
        assert!(last.trees < 300, "stopped at {}", last.trees);
        assert_eq!(b.n_trees() + 10, last.trees);
        let m = b.margins(&v);
        let loss = m
            .iter()
            .zip(&vy)
            .map(|(&m, &y)| log_loss(m, y))
            .sum::<f64>()
            / vy.len() as f64;
        assert!(
            (loss - last.best_valid_loss).abs() < 1e-12,
            "{loss} {}",
            last.best_valid_loss
        );
        // one tree fewer is worse
        let shorter = Booster::from_trees(
            b.n_features,
            b.base_margin,
            b.trees[..b.n_trees() - 1].to_vec(),
        );
        let m2 = shorter.margins(&v);
        let loss2 = m2
            .iter()
            .zip(&vy)
            .map(|(&m, &y)| log_loss(m, y))
            .sum::<f64>()
            / vy.len() as f64;
        assert!(loss2 > loss);
    }

    #[test]
    fn cancel_stops_training() {
        let (d, y) = synth(2000, 8, false);
        let mut calls = 0;
        let r = train(&d, &y, None, &small_params(50), &mut |p| {
            calls += 1;
            assert_eq!(p.trees, calls);
            assert!(p.best_valid_loss.is_nan());
            p.trees < 3
        });
        assert_eq!(r.unwrap_err(), Cancelled);
        assert_eq!(calls, 3);
    }

    #[test]
    fn serde_round_trip_keeps_margins() {
        let (d, y) = synth(3000, 9, true);
        let b = fit(&d, &y, &small_params(15));
        let json = serde_json::to_string(&b).unwrap();
        let b2: Booster = serde_json::from_str(&json).unwrap();
        assert!(json == serde_json::to_string(&b2).unwrap());
        let (t, _) = synth(500, 10, true);
        for r in 0..500 {
            let x = row(&t, r);
            assert_eq!(b.margin(&x).to_bits(), b2.margin(&x).to_bits());
        }
    }

    #[test]
    fn malformed_models_are_refused() {
        let (d, y) = synth(2000, 19, false);
        let b = fit(&d, &y, &small_params(3));
        let json = serde_json::to_string(&b).unwrap();
        let ok: Result<Booster, _> = serde_json::from_str(&json);
        assert!(ok.is_ok());
        // a child pointing back to the root (a loop), a leaf out of range, a cut array
        let edits: [fn(&mut serde_json::Value); 3] = [
            |v| v["trees"][0]["nodes"][1]["l"] = 0.into(),
            |v| v["trees"][0]["nodes"][0]["r"] = (-99).into(),
            |v| {
                if let Some(a) = v["trees"][0]["leaf_cover"].as_array_mut() {
                    a.pop();
                }
            },
        ];
        for (k, edit) in edits.iter().enumerate() {
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            edit(&mut v);
            let bad = serde_json::to_string(&v).unwrap();
            assert!(bad != json, "edit {k}");
            assert!(serde_json::from_str::<Booster>(&bad).is_err(), "edit {k}");
        }
    }

    #[test]
    fn infinite_values_score_like_training() {
        let mut rng = Rng(12);
        let n = 3000;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let u = rng.unif();
            let v = if u < 0.1 {
                f32::INFINITY
            } else if u < 0.2 {
                f32::NEG_INFINITY
            } else {
                rng.normal() as f32
            };
            x.push(v);
            y.push(rng.unif() < if v == f32::INFINITY { 0.7 } else { 0.1 });
        }
        let d = Dataset {
            n_rows: n,
            columns: vec![x],
            categorical: vec![false],
        };
        let b = bin_dataset(&d, n, 255, 2);
        let params = Params::default();
        let mut g = Grower::new(&b, &params, 1);
        let gh: Vec<GradHess> = y
            .iter()
            .map(|&y| [if y { -0.5 } else { 0.5 }, 0.25])
            .collect();
        let (tree, ranges) = g.grow(&gh);
        assert!(!tree.nodes.is_empty());
        for (leaf, &(s, e)) in ranges.iter().enumerate() {
            for &r in &g.rows[s..e] {
                assert_eq!(tree.leaf(|f| d.columns[f][r as usize]), leaf);
            }
        }
        let json = serde_json::to_string(&tree).unwrap();
        let back: Tree = serde_json::from_str(&json).unwrap();
        assert!(back == tree);
    }

    #[test]
    fn binned_and_raw_routing_agree() {
        // the tree's raw thresholds and category lists send every training row to the leaf
        // the binned training put it in
        let (d, y) = synth(5000, 13, true);
        let b = bin_dataset(&d, 5000, 255, 2);
        let params = Params::default();
        let mut g = Grower::new(&b, &params, 2);
        let gh: Vec<GradHess> = y
            .iter()
            .map(|&y| [if y { -0.9 } else { 0.1 }, 0.09])
            .collect();
        let (tree, ranges) = g.grow(&gh);
        assert_eq!(ranges.len(), 31);
        for (leaf, &(s, e)) in ranges.iter().enumerate() {
            for &r in &g.rows[s..e] {
                assert_eq!(tree.leaf(|f| d.columns[f][r as usize]), leaf);
            }
        }
    }

    /// E[f(x) | x_S] with the path-dependent convention: off-S splits average their
    /// children by cover.
    fn cond_expectation(t: &Tree, x: &[f32], s: u32, node: i32) -> f64 {
        if node < 0 {
            return t.leaf_value[!node as usize];
        }
        let n = &t.nodes[node as usize];
        if s >> n.feature & 1 == 1 {
            let next = if t.go_left(n, x[n.feature as usize]) {
                n.left
            } else {
                n.right
            };
            cond_expectation(t, x, s, next)
        } else {
            let (cl, cr) = (t.cover(n.left), t.cover(n.right));
            (cl * cond_expectation(t, x, s, n.left) + cr * cond_expectation(t, x, s, n.right))
                / (cl + cr)
        }
    }

    fn brute_shap(t: &Tree, x: &[f32], nf: usize) -> Vec<f64> {
        let fact = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
        let mut phi = vec![0.0; nf];
        for (i, p) in phi.iter_mut().enumerate() {
            for s in 0u32..(1 << nf) {
                if s >> i & 1 == 1 {
                    continue;
                }
                let k = s.count_ones() as usize;
                let w = fact(k) * fact(nf - k - 1) / fact(nf);
                *p += w * (cond_expectation(t, x, s | 1 << i, 0) - cond_expectation(t, x, s, 0));
            }
        }
        phi
    }

    fn node(feature: u32, threshold: f32, left: i32, right: i32) -> Node {
        Node {
            feature,
            threshold,
            left,
            right,
            cat_start: 0,
            cat_len: 0,
            default_left: true,
        }
    }

    #[test]
    fn tree_shap_matches_brute_force_on_a_tiny_tree() {
        // feature 0 is split twice on one path, feature 2 is categorical
        let tree = Tree {
            nodes: vec![
                node(0, 0.5, 1, 2),
                node(1, 1.0, 3, !1),
                Node {
                    cat_start: 0,
                    cat_len: 2,
                    default_left: false,
                    ..node(2, 0.0, !2, !3)
                },
                node(0, -1.0, !0, !4),
            ],
            gain: vec![1.0; 4],
            node_cover: vec![100.0, 60.0, 40.0, 45.0],
            leaf_value: vec![0.3, -0.7, 1.1, -0.2, 0.5],
            leaf_cover: vec![20.0, 15.0, 10.0, 30.0, 25.0],
            cats: vec![1, 4],
            depth: 3,
        };
        let b = Booster::from_trees(3, -1.0, vec![tree.clone()]);
        let rows = [
            [0.0f32, 0.0, 1.0],
            [-2.0, 5.0, 3.0],
            [1.0, 0.0, 4.0],
            [f32::NAN, 2.0, f32::NAN],
            [0.7, 0.5, 2.0],
        ];
        for x in rows {
            let brute = brute_shap(&tree, &x, 3);
            let mut out = [0.0; 4];
            b.contributions(&x, &mut out);
            for f in 0..3 {
                assert!(
                    (out[f] - brute[f]).abs() < 1e-12,
                    "{x:?} f{f}: {} vs {}",
                    out[f],
                    brute[f]
                );
            }
            let sum: f64 = out.iter().sum();
            assert!((sum - b.margin(&x)).abs() < 1e-12);
        }
    }

    #[test]
    fn tree_shap_sums_to_margin_and_matches_brute_force_on_trained_trees() {
        let (d, y) = synth(4000, 14, false);
        let b = fit(&d, &y, &small_params(20));
        let nf = b.n_features;
        let (t, _) = synth(100, 15, false);
        let mut out = vec![0.0; nf + 1];
        for r in 0..100 {
            let x = row(&t, r);
            b.contributions(&x, &mut out);
            let sum: f64 = out.iter().sum();
            assert!(
                (sum - b.margin(&x)).abs() < 1e-6,
                "{sum} vs {}",
                b.margin(&x)
            );
        }
        // per tree against brute force (6 features: 64 subsets)
        let x = row(&t, 0);
        let mut total = vec![0.0; nf];
        for tree in &b.trees[..5] {
            for (s, v) in total.iter_mut().zip(brute_shap(tree, &x, nf)) {
                *s += v;
            }
        }
        let five = Booster::from_trees(nf, b.base_margin, b.trees[..5].to_vec());
        five.contributions(&x, &mut out);
        for f in 0..nf {
            assert!(
                (out[f] - total[f]).abs() < 1e-9,
                "f{f}: {} vs {}",
                out[f],
                total[f]
            );
        }
    }

    #[test]
    fn feature_importance_points_at_the_signal() {
        let (d, y) = synth(4000, 16, true);
        let b = fit(&d, &y, &small_params(20));
        let gain = b.feature_importance_gain();
        assert_eq!(gain.len(), 7);
        // x0 carries the strongest signal; x5 is noise
        assert!(gain[0] > gain[5] * 3.0, "{gain:?}");
        assert_eq!(b.feature_importance_split().len(), 7);
    }

    #[test]
    fn flat_scoring_matches_the_trees() {
        let (mut d, y) = synth(4000, 17, true);
        // infinities in a signal column, in training and in scoring
        for r in (0..4000).step_by(13) {
            d.columns[0][r] = if r % 2 == 0 {
                f32::INFINITY
            } else {
                f32::NEG_INFINITY
            };
        }
        let b = fit(&d, &y, &small_params(15));
        let (mut t, _) = synth(400, 18, true);
        for r in (0..400).step_by(7) {
            t.columns[0][r] = f32::INFINITY;
            t.columns[1][r] = f32::NAN;
            t.columns[3][r] = 12345.0;
            t.columns[6][r] = -1.0;
        }
        for r in 0..400 {
            let x = row(&t, r);
            let by_tree: f64 = b
                .trees
                .iter()
                .map(|tr| tr.leaf_value[tr.leaf(|f| x[f])])
                .sum();
            assert_eq!(b.margin(&x), b.base_margin + by_tree);
        }
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let empty = Dataset::default();
        let b = fit(&empty, &[], &small_params(5));
        assert_eq!(b.n_trees(), 0);
        assert_eq!(b.margin(&[]), 0.0);
        // one class only, a constant column, a short row
        let d = Dataset {
            n_rows: 100,
            columns: vec![vec![1.0; 100], (0..100).map(|i| i as f32).collect()],
            categorical: vec![false, true],
        };
        let b = fit(&d, &[false; 100], &small_params(5));
        assert!(b.margin(&[1.0]).is_finite());
        let mut out = vec![0.0; 3];
        b.contributions(&[1.0, 2.0], &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
        // a validation set with a column and labels short
        let v = Dataset {
            n_rows: 100,
            columns: vec![vec![1.0; 100]],
            categorical: vec![false],
        };
        let mut y = vec![false; 100];
        y[3] = true;
        let b = train(&d, &y, Some((&v, &y[..50])), &small_params(5), &mut |_| {
            true
        })
        .unwrap();
        assert!(b.margin(&[1.0, 3.0]).is_finite());
    }
}
