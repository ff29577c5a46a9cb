//! A text classifier trained on the tenant's own tickets: TF-IDF over the request's features
//! (sub-linear counts, smoothed inverse document frequency, unit length) and one linear
//! support-vector machine per class (L2-regularised squared hinge loss, solved in its dual by
//! coordinate descent, the method of LIBLINEAR), whose margins a softmax with a fitted
//! temperature turns into confidences. Chosen by measurement over a multinomial logistic
//! regression of the same features (BENCHMARKS.md): as accurate or better, trained in one
//! pass over the data per class, and every suggestion explained by the words that weighed
//! most for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::features::shown;

/// One labelled request.
#[derive(Clone, Debug)]
pub struct Example {
    /// Its features ([`super::features::features`]).
    pub features: Vec<String>,
    /// Its class.
    pub label: String,
}

/// A class the model suggests, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    /// The class.
    pub class: String,
    /// 0..1; the suggestions of one request sum to at most 1.
    pub confidence: f64,
    /// The request's words that weighed most for this class, strongest first.
    pub words: Vec<String>,
}

/// How a model is trained.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// A feature seen in fewer examples is dropped (it cannot generalise, and it costs room).
    pub min_df: u32,
    /// The inverse of the regularisation's strength.
    pub c: f32,
    /// Most passes over the data per class.
    pub passes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            min_df: 2,
            c: 0.5,
            passes: 30,
        }
    }
}

/// A trained model.
#[derive(Clone, Debug, PartialEq)]
pub struct Classifier {
    classes: Vec<String>,
    names: Vec<String>,
    index: HashMap<String, u32>,
    idf: Vec<f32>,
    /// Feature-major: the weights of feature `j` for every class are `weights[j*k..(j+1)*k]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
    temperature: f32,
}

/// A request as the model reads it: (feature, value) pairs, unit length.
type Row = Vec<(u32, f32)>;

impl Classifier {
    /// Trains on `examples` (at least one of each of two classes).
    pub fn train(examples: &[Example], options: &Options) -> Classifier {
        let mut classes: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
        classes.sort();
        classes.dedup();
        let (names, idf) = vocabulary(examples, options.min_df);
        let mut model = Classifier {
            index: names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i as u32))
                .collect(),
            names,
            idf,
            weights: Vec::new(),
            bias: Vec::new(),
            classes,
            temperature: 1.0,
        };
        let rows: Vec<Row> = examples.iter().map(|e| model.row(&e.features)).collect();
        let labels: Vec<usize> = examples
            .iter()
            .map(|e| model.classes.binary_search(&e.label).unwrap_or(0))
            .collect();
        let per_class = train_all(
            &rows,
            &labels,
            model.classes.len(),
            model.names.len(),
            options,
        );
        let k = model.classes.len();
        let dims = model.names.len();
        model.weights = vec![0.0; dims * k];
        model.bias = vec![0.0; k];
        for (c, w) in per_class.into_iter().enumerate() {
            for (j, wj) in w.iter().take(dims).enumerate() {
                model.weights[j * k + c] = *wj;
            }
            model.bias[c] = w[dims];
        }
        model
    }

    /// The classes, sorted.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// How many features it knows.
    pub fn dimensions(&self) -> usize {
        self.names.len()
    }

    /// The features of a request as the model weighs them.
    fn row(&self, features: &[String]) -> Row {
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for f in features {
            if let Some(&j) = self.index.get(f) {
                *counts.entry(j).or_default() += 1;
            }
        }
        let mut row: Row = counts
            .into_iter()
            .map(|(j, n)| (j, (1.0 + (n as f32).ln()) * self.idf[j as usize]))
            .collect();
        row.sort_unstable_by_key(|(j, _)| *j);
        let norm = row.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut row {
                *v /= norm;
            }
        }
        row
    }

    fn margins(&self, row: &Row) -> Vec<f32> {
        let k = self.classes.len();
        let mut m = self.bias.clone();
        for &(j, v) in row {
            let w = &self.weights[j as usize * k..(j as usize + 1) * k];
            for (mc, wc) in m.iter_mut().zip(w) {
                *mc += v * wc;
            }
        }
        m
    }

    /// The probabilities of every class, in the order of [`Classifier::classes`].
    pub fn probabilities(&self, features: &[String]) -> Vec<f64> {
        softmax(&self.margins(&self.row(features)), self.temperature)
    }

    /// The `top` most likely classes, best first, each with the words that drove it.
    pub fn suggest(&self, features: &[String], top: usize) -> Vec<Suggestion> {
        let row = self.row(features);
        let p = softmax(&self.margins(&row), self.temperature);
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|a, b| p[*b].total_cmp(&p[*a]));
        order
            .into_iter()
            .take(top)
            .map(|c| Suggestion {
                class: self.classes[c].clone(),
                confidence: p[c],
                words: self.why(&row, c),
            })
            .collect()
    }

    /// The features that pushed class `c` up the most, as a person reads them.
    fn why(&self, row: &Row, c: usize) -> Vec<String> {
        let k = self.classes.len();
        let mut pushes: Vec<(f32, &str)> = row
            .iter()
            .map(|&(j, v)| {
                (
                    v * self.weights[j as usize * k + c],
                    self.names[j as usize].as_str(),
                )
            })
            .filter(|(push, _)| *push > 0.0)
            .collect();
        pushes.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Whole words read better than character pairs: pairs only fill in after the words
        // (a model name the dictionary does not know), and none inside a word shown.
        let mut words: Vec<String> = Vec::new();
        for want_pairs in [false, true] {
            for (_, feature) in &pushes {
                let w = shown(feature);
                if (w.len() != feature.len()) != want_pairs
                    || words
                        .iter()
                        .any(|s| s.contains(w) || w.contains(s.as_str()))
                {
                    continue;
                }
                if words.len() == 4 {
                    return words;
                }
                words.push(w.to_owned());
            }
        }
        words
    }

    /// Fits the softmax's temperature to held-out requests (the one number that makes the
    /// confidences honest: a suggestion at 0.8 right about 80 % of the time).
    pub fn calibrate(&mut self, held_out: &[Example]) {
        let data: Vec<(Vec<f32>, usize)> = held_out
            .iter()
            .filter_map(|e| {
                let c = self.classes.binary_search(&e.label).ok()?;
                Some((self.margins(&self.row(&e.features)), c))
            })
            .collect();
        if data.is_empty() {
            return;
        }
        let loss = |t: f32| -> f64 {
            data.iter()
                .map(|(m, c)| -softmax(m, t)[*c].max(1e-12).ln())
                .sum()
        };
        // A coarse scan of a log scale, then a finer one around the best.
        let mut best = (f64::INFINITY, 1.0f32);
        for i in 0..=24 {
            let t = 0.25 * 2f32.powf(i as f32 / 3.0);
            let l = loss(t);
            if l < best.0 {
                best = (l, t);
            }
        }
        let centre = best.1;
        for i in -6..=6 {
            let t = centre * 2f32.powf(i as f32 / 18.0);
            let l = loss(t);
            if l < best.0 {
                best = (l, t);
            }
        }
        self.temperature = best.1;
    }

    /// Uses the temperature fitted on another model of the same data.
    pub fn set_temperature(&mut self, t: f32) {
        self.temperature = t;
    }

    /// The softmax's temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The model as bytes, to keep in the database.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.weights.len() * 4 + self.names.len() * 12);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, self.classes.len() as u32);
        for c in &self.classes {
            put_str(&mut out, c);
        }
        put_u32(&mut out, self.names.len() as u32);
        for (n, idf) in self.names.iter().zip(&self.idf) {
            put_str(&mut out, n);
            out.extend_from_slice(&idf.to_le_bytes());
        }
        for w in self.weights.iter().chain(&self.bias) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.temperature.to_le_bytes());
        out
    }

    /// A model from [`Classifier::to_bytes`]; `None` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Option<Classifier> {
        let mut r = Reader {
            bytes: bytes.strip_prefix(MAGIC)?,
        };
        let k = r.u32()? as usize;
        let classes = (0..k).map(|_| r.string()).collect::<Option<Vec<_>>>()?;
        let dims = r.u32()? as usize;
        let mut names = Vec::with_capacity(dims.min(bytes.len()));
        let mut idf = Vec::with_capacity(dims.min(bytes.len()));
        for _ in 0..dims {
            names.push(r.string()?);
            idf.push(r.f32()?);
        }
        let count = dims.checked_mul(k)?.checked_add(k)?;
        let mut weights = Vec::with_capacity(count.min(bytes.len() / 4));
        for _ in 0..count {
            weights.push(r.f32()?);
        }
        let bias = weights.split_off(dims * k);
        let temperature = r.f32()?;
        if !r.bytes.is_empty() || k == 0 {
            return None;
        }
        Some(Classifier {
            index: names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), i as u32))
                .collect(),
            classes,
            names,
            idf,
            weights,
            bias,
            temperature,
        })
    }
}

const MAGIC: &[u8] = b"loopdesk-triage-1\n";

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// The features seen in at least `min_df` examples, sorted, with their smoothed inverse
/// document frequencies `ln((1 + n) / (1 + df)) + 1`.
fn vocabulary(examples: &[Example], min_df: u32) -> (Vec<String>, Vec<f32>) {
    let mut df: HashMap<&str, u32> = HashMap::new();
    for e in examples {
        let mut seen: Vec<&str> = e.features.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for f in seen {
            *df.entry(f).or_default() += 1;
        }
    }
    let n = examples.len() as f32;
    let mut kept: Vec<(&str, u32)> = df.into_iter().filter(|(_, d)| *d >= min_df).collect();
    kept.sort_unstable();
    let idf = kept
        .iter()
        .map(|(_, d)| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0)
        .collect();
    (kept.into_iter().map(|(f, _)| f.to_owned()).collect(), idf)
}

fn softmax(margins: &[f32], t: f32) -> Vec<f64> {
    let top = margins.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f64> = margins
        .iter()
        .map(|m| (f64::from((m - top) * t)).exp())
        .collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|x| x / sum).collect()
}

/// One weight vector per class (the last element its bias), trained on the machine's cores.
fn train_all(rows: &[Row], labels: &[usize], k: usize, dims: usize, o: &Options) -> Vec<Vec<f32>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(k)
        .max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<f32>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= k {
                            return mine;
                        }
                        mine.push((c, one_class(rows, labels, c, dims, o)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(c, _)| *c);
    done.into_iter().map(|(_, w)| w).collect()
}

/// Class `c` against the rest: dual coordinate descent for the L2-loss SVM (Hsieh et al.,
/// 2008), the bias a feature of value 1.
fn one_class(rows: &[Row], labels: &[usize], c: usize, dims: usize, o: &Options) -> Vec<f32> {
    let mut w = vec![0f32; dims + 1];
    let diag = 0.5 / o.c;
    let q: Vec<f32> = rows
        .iter()
        .map(|r| r.iter().map(|(_, v)| v * v).sum::<f32>() + 1.0 + diag)
        .collect();
    let mut alpha = vec![0f32; rows.len()];
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut rng = SplitMix(0x5eed ^ c as u64);
    for _ in 0..o.passes {
        rng.shuffle(&mut order);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for &i in &order {
            let y = if labels[i] == c { 1.0 } else { -1.0 };
            let row = &rows[i];
            let dot: f32 = row.iter().map(|&(j, v)| w[j as usize] * v).sum::<f32>() + w[dims];
            let g = y * dot - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            lo = lo.min(pg);
            hi = hi.max(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / q[i]).max(0.0);
                let d = (alpha[i] - old) * y;
                for &(j, v) in row {
                    w[j as usize] += d * v;
                }
                w[dims] += d;
            }
        }
        if hi - lo < 0.1 {
            break;
        }
    }
    w
}

/// A small, seeded random number generator (SplitMix64): shuffles that are the same on
/// every run, so a model and its figures can be made again.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
