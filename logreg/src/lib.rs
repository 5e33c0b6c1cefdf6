//! L2-regularised logistic regression over sparse binary features, fitted with L-BFGS: the
//! numeric core of Baton's handoff detector's statistical second opinion
//! (`src/domain/signals/model.rs` builds the features and keeps the weights).
//!
//! A crate of its own so that it is compiled optimised even in a debug build (the workspace's
//! `Cargo.toml` says so): fitting takes under a second optimised and ten times that without,
//! and the test suites' servers fit it at their first evaluation.

/// The logistic function, computed without overflow.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Fits weights for `features` features and a bias to `rows`, each the sorted, distinct indices
/// of its features (all below `features`) and its label (+1.0 or -1.0), minimising
/// `½‖w‖² + c · Σ log(1 + e^(−y·(b + Σ w)))` (the bias is not penalised). Deterministic: the
/// same rows always give the same weights.
pub fn fit(rows: &[(Vec<usize>, f64)], features: usize, c: f64) -> (Vec<f64>, f64) {
    let dim = features + 1; // the last coordinate is the bias
    let objective = |x: &[f64], grad: &mut [f64]| -> f64 {
        let bias = x[dim - 1];
        let mut value = 0.0;
        for (g, w) in grad.iter_mut().zip(x).take(dim - 1) {
            *g = *w;
            value += 0.5 * w * w;
        }
        grad[dim - 1] = 0.0;
        for (row, y) in rows {
            let z = bias + row.iter().map(|&j| x[j]).sum::<f64>();
            let m = y * z;
            // log(1 + e^-m), computed without overflow.
            value += c * if m > 0.0 {
                (-m).exp().ln_1p()
            } else {
                -m + m.exp().ln_1p()
            };
            let d = -c * y * sigmoid(-m);
            for &j in row {
                grad[j] += d;
            }
            grad[dim - 1] += d;
        }
        value
    };
    let mut x = lbfgs(dim, objective);
    let bias = x.pop().unwrap_or(0.0);
    (x, bias)
}

/// Minimises a smooth convex function from zero with L-BFGS (ten pairs kept, backtracking line
/// search on the Armijo condition), until the gradient's largest entry is below 1e-6 or 1 000
/// iterations have run.
fn lbfgs(dim: usize, f: impl Fn(&[f64], &mut [f64]) -> f64) -> Vec<f64> {
    const PAIRS: usize = 10;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut x = vec![0.0; dim];
    let mut g = vec![0.0; dim];
    let mut fx = f(&x, &mut g);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = Default::default();
    let mut x_new = vec![0.0; dim];
    let mut g_new = vec![0.0; dim];
    for _ in 0..1000 {
        if g.iter().fold(0.0_f64, |m, v| m.max(v.abs())) < 1e-6 {
            break;
        }
        // Two-loop recursion: d = -H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot(s, &q);
            for (qi, yi) in q.iter_mut().zip(y) {
                *qi -= a * yi;
            }
            alphas.push(a);
        }
        if let Some((s, y, _)) = history.back() {
            let gamma = dot(s, y) / dot(y, y);
            for qi in &mut q {
                *qi *= gamma;
            }
        } else {
            let norm = dot(&g, &g).sqrt().max(1.0);
            for qi in &mut q {
                *qi /= norm;
            }
        }
        for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            for (qi, si) in q.iter_mut().zip(s) {
                *qi += (a - b) * si;
            }
        }
        let slope = -dot(&g, &q);
        if slope >= 0.0 {
            history.clear();
            continue;
        }
        let mut step = 1.0;
        let mut f_new;
        loop {
            for ((xn, xi), qi) in x_new.iter_mut().zip(&x).zip(&q) {
                *xn = xi - step * qi;
            }
            f_new = f(&x_new, &mut g_new);
            if f_new <= fx + 1e-4 * step * slope || step < 1e-12 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if history.len() == PAIRS {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        let settled = (fx - f_new).abs() <= 1e-13 * fx.abs().max(1.0);
        fx = f_new;
        if settled {
            break;
        }
    }
    x
}
