//! A small dense primal simplex for the one-day relaxation of `lagrange.rs`: each agent works
//! at most one of their allowed shifts of the day (fractionally), and uncovered demand of the
//! day is minimized. Only its dual values are used — as Lagrangian weights, which give a valid
//! bound whatever they are — so an early stop or rounding error costs tightness, never
//! correctness. (Why not a crate: among Rust LP crates only `good_lp` returns duals, through
//! HiGHS, a C++ build, or Clarabel, an interior-point conic solver; these programmes are a
//! few hundred rows, and this file keeps `kefu-wfm` free of both.)
//!
//! The programme, with agents of the same allowed shifts grouped into a class of `count`:
//!
//! ```text
//! min Σ u(r)   s.t.  Σ_{columns covering r} x + u(r) − e(r) = demand(r)   for each slot row r
//!                    Σ_{columns of class c} x + z(c) = count(c)             for each class c
//!                    x, u, e, z ≥ 0
//! ```
//!
//! `u` and `z` form a feasible first basis, so there is no first phase. The dual value of slot
//! row `r` is `1 − reduced cost of u(r)`, in `[0, 1]` at the optimum.

use std::time::Instant;

/// A column: the class it belongs to and the rows (slot indexes into `demand`) it covers.
pub(crate) struct Column {
    pub class: usize,
    pub rows: Vec<usize>,
}

const EPS: f64 = 1e-9;

/// Dual values of the slot rows after at most `max_pivots` pivots or at `deadline` (the
/// optimum's if reached first).
pub(crate) fn day_duals(
    demand: &[f64],
    counts: &[f64],
    columns: &[Column],
    max_pivots: usize,
    deadline: Instant,
) -> Vec<f64> {
    let (r, c, x) = (demand.len(), counts.len(), columns.len());
    let m = r + c;
    // Column order: x, u, e, z; the last entry of each tableau row is its right-hand side.
    let n = x + 2 * r + c;
    let width = n + 1;
    let mut t = vec![0.0f64; m * width];
    for (j, col) in columns.iter().enumerate() {
        for &row in &col.rows {
            t[row * width + j] = 1.0;
        }
        t[(r + col.class) * width + j] = 1.0;
    }
    for i in 0..r {
        t[i * width + x + i] = 1.0;
        t[i * width + x + r + i] = -1.0;
        t[i * width + n] = demand[i];
    }
    for k in 0..c {
        t[(r + k) * width + x + 2 * r + k] = 1.0;
        t[(r + k) * width + n] = counts[k];
    }
    let mut basis: Vec<usize> = (0..r)
        .map(|i| x + i)
        .chain((0..c).map(|k| x + 2 * r + k))
        .collect();
    // Reduced costs: cost minus Σ over the basis rows (cost 1 for u, 0 for z).
    let mut reduced = vec![0.0f64; n];
    for (j, rc) in reduced.iter_mut().enumerate() {
        let cost = if (x..x + r).contains(&j) { 1.0 } else { 0.0 };
        *rc = cost - (0..r).map(|i| t[i * width + j]).sum::<f64>();
    }
    let mut degenerate = 0usize;
    for pivot in 0..max_pivots {
        if pivot % 64 == 63 && Instant::now() >= deadline {
            break;
        }
        // Dantzig's rule; Bland's (lowest index) after a run of degenerate pivots, so the
        // method cannot cycle.
        let entering = if degenerate > 50 {
            (0..n).find(|&j| reduced[j] < -EPS)
        } else {
            (0..n)
                .filter(|&j| reduced[j] < -EPS)
                .min_by(|&a, &b| reduced[a].total_cmp(&reduced[b]))
        };
        let Some(j) = entering else { break };
        let leaving = (0..m).filter(|&i| t[i * width + j] > EPS).min_by(|&a, &b| {
            let ra = t[a * width + n] / t[a * width + j];
            let rb = t[b * width + n] / t[b * width + j];
            ra.total_cmp(&rb).then(basis[a].cmp(&basis[b]))
        });
        let Some(p) = leaving else { break };
        let value = t[p * width + j];
        if t[p * width + n] / value <= EPS {
            degenerate += 1;
        } else {
            degenerate = 0;
        }
        for k in 0..width {
            t[p * width + k] /= value;
        }
        let (before, rest) = t.split_at_mut(p * width);
        let (prow, after) = rest.split_at_mut(width);
        for row in before.chunks_mut(width).chain(after.chunks_mut(width)) {
            let f = row[j];
            if f.abs() > EPS {
                for (v, &pv) in row.iter_mut().zip(prow.iter()) {
                    *v -= f * pv;
                }
            }
        }
        let f = reduced[j];
        for (v, &pv) in reduced.iter_mut().zip(prow.iter()) {
            *v -= f * pv;
        }
        basis[p] = j;
    }
    (0..r)
        .map(|i| (1.0 - reduced[x + i]).clamp(0.0, 1.0))
        .collect()
}
