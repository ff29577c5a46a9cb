//! Ridge-regularised logistic regression fitted by Newton's method (iteratively reweighted
//! least squares). The risk features are few (tens), so each Newton step — one pass over the
//! examples and one small Cholesky solve — is cheap, and a handful of steps converge exactly,
//! with no learning rate to tune.

use serde::{Deserialize, Serialize};

/// Ridge penalty on the standardised weights (not on the intercept).
const RIDGE: f64 = 1.0;
/// Newton steps at most.
const MAX_STEPS: usize = 25;
/// Stop when no weight moves more than this.
const TOLERANCE: f64 = 1e-6;

/// A fitted model: standardisation and weights.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Logistic {
    /// Each feature's mean over the training examples.
    pub mean: Vec<f64>,
    /// Each feature's standard deviation (1 where it was constant).
    pub scale: Vec<f64>,
    /// The intercept.
    pub bias: f64,
    /// A weight per standardised feature.
    pub weights: Vec<f64>,
}

impl Logistic {
    /// Fits `labels` from `rows` (each row the same length). An empty training set gives a
    /// model that answers the prior 0.5.
    pub fn fit(rows: &[Vec<f64>], labels: &[bool]) -> Logistic {
        let d = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0; d];
        for r in rows {
            for (m, x) in mean.iter_mut().zip(r) {
                *m += x / n;
            }
        }
        let mut scale = vec![0.0; d];
        for r in rows {
            for ((s, x), m) in scale.iter_mut().zip(r).zip(&mean) {
                *s += (x - m) * (x - m) / n;
            }
        }
        for s in &mut scale {
            *s = if *s > 1e-12 { s.sqrt() } else { 1.0 };
        }
        let z: Vec<Vec<f64>> = rows.iter().map(|r| standardise(r, &mean, &scale)).collect();
        // Parameters: [bias, weights…]; the design row is [1, z…].
        let mut theta = vec![0.0; d + 1];
        let positives = labels.iter().filter(|&&y| y).count() as f64;
        let prior = ((positives + 0.5) / (labels.len() as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
        theta[0] = (prior / (1.0 - prior)).ln();
        let mut x = vec![1.0; d + 1];
        for _ in 0..MAX_STEPS {
            let mut gradient = vec![0.0; d + 1];
            let mut hessian = vec![vec![0.0; d + 1]; d + 1];
            for (row, &y) in z.iter().zip(labels) {
                x[1..].copy_from_slice(row);
                let p = sigmoid(dot(&theta, &x));
                let residual = f64::from(u8::from(y)) - p;
                let w = (p * (1.0 - p)).max(1e-9);
                for (i, (h, g)) in hessian.iter_mut().zip(&mut gradient).enumerate() {
                    *g += residual * x[i];
                    let wi = w * x[i];
                    for (hj, xj) in h[..=i].iter_mut().zip(&x) {
                        *hj += wi * xj;
                    }
                }
            }
            for i in 1..=d {
                gradient[i] -= RIDGE * theta[i];
                hessian[i][i] += RIDGE;
            }
            hessian[0][0] += 1e-9;
            let Some(step) = solve(hessian, gradient) else {
                break;
            };
            let mut moved: f64 = 0.0;
            for (t, s) in theta.iter_mut().zip(&step) {
                *t += s;
                moved = moved.max(s.abs());
            }
            if moved < TOLERANCE {
                break;
            }
        }
        Logistic {
            mean,
            scale,
            bias: theta[0],
            weights: theta[1..].to_vec(),
        }
    }

    /// The probability of the positive class for `row`.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(self.bias + dot(&self.weights, &standardise(row, &self.mean, &self.scale)))
    }

    /// What each feature adds to the log-odds of `row` against an average example.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        standardise(row, &self.mean, &self.scale)
            .iter()
            .zip(&self.weights)
            .map(|(z, w)| z * w)
            .collect()
    }
}

fn standardise(row: &[f64], mean: &[f64], scale: &[f64]) -> Vec<f64> {
    row.iter()
        .zip(mean)
        .zip(scale)
        .map(|((x, m), s)| (x - m) / s)
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Solves `a · x = b` for a symmetric positive definite `a` of which the lower triangle is
/// filled (Cholesky); `None` when it is not positive definite.
fn solve(mut a: Vec<Vec<f64>>, b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let (head, tail) = a[j..].split_at_mut(1);
        let row_j = &mut head[0];
        let diagonal = row_j[j] - row_j[..j].iter().map(|v| v * v).sum::<f64>();
        if diagonal <= 0.0 || !diagonal.is_finite() {
            return None;
        }
        let root = diagonal.sqrt();
        row_j[j] = root;
        for row_i in tail {
            row_i[j] = (row_i[j] - dot(&row_i[..j], &row_j[..j])) / root;
        }
    }
    let mut y = b;
    for i in 0..n {
        y[i] = (y[i] - dot(&a[i][..i], &y[..i])) / a[i][i];
    }
    for i in (0..n).rev() {
        let later: f64 = (i + 1..n).map(|k| a[k][i] * y[k]).sum();
        y[i] = (y[i] - later) / a[i][i];
    }
    Some(y)
}
