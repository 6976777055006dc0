//! Medians, ratios, the Markdown table and the JSON file.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::Tool;

/// Median and range of repeated measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub samples: Vec<f64>,
}

impl Summary {
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 0 {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            samples: samples.to_vec(),
        })
    }
}

/// One row of the table: a measured quantity for every tool that has it.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// `sqlite`, `postgres`, or `-` for compile time.
    pub database: String,
    pub n: usize,
    /// What was measured, e.g. `apply`.
    pub figure: String,
    /// `ms`, `KiB`, `statements`, ...
    pub unit: String,
    /// Per tool (`this`, `sqlx`, `refinery`, `raw`).
    pub values: BTreeMap<String, Summary>,
    /// this/sqlx, this/refinery, this/raw, from the medians of this run.
    pub ratios: BTreeMap<String, f64>,
    /// Anything a reader must know about this row.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Figure {
    pub fn new(
        database: &str,
        n: usize,
        figure: &str,
        unit: &str,
        samples: &BTreeMap<Tool, Vec<f64>>,
    ) -> Figure {
        let values: BTreeMap<String, Summary> = samples
            .iter()
            .filter_map(|(tool, s)| Summary::of(s).map(|sum| (tool.label().to_owned(), sum)))
            .collect();
        let mut ratios = BTreeMap::new();
        if let Some(ours) = values.get(Tool::Ours.label()) {
            for peer in [Tool::Sqlx, Tool::Refinery, Tool::Raw] {
                if let Some(theirs) = values.get(peer.label()) {
                    if theirs.median != 0.0 {
                        ratios.insert(
                            format!("this/{}", peer.label()),
                            ours.median / theirs.median,
                        );
                    }
                }
            }
        }
        Figure {
            database: database.to_owned(),
            n,
            figure: figure.to_owned(),
            unit: unit.to_owned(),
            values,
            ratios,
            note: String::new(),
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Figure {
        self.note = note.into();
        self
    }

    pub fn ratio(&self, peer: Tool) -> Option<f64> {
        self.ratios.get(&format!("this/{}", peer.label())).copied()
    }

    pub fn ours(&self) -> Option<&Summary> {
        self.values.get(Tool::Ours.label())
    }
}

/// One target of the issue, checked against this run.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub command: String,
    pub machine: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub figures: Vec<Figure>,
    pub targets: Vec<Check>,
    /// The exact statements each tool sent for its no-op startup check, per
    /// database and N.
    pub noop_statements: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    pub notes: Vec<String>,
}

fn value(summary: Option<&Summary>, unit: &str) -> String {
    let Some(s) = summary else {
        return "—".to_owned();
    };
    let digits = |v: f64| {
        if unit == "ms" && v < 10.0 {
            format!("{v:.2}")
        } else if unit == "ms" && v < 100.0 {
            format!("{v:.1}")
        } else if v.fract() == 0.0 || v >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    if s.min == s.max {
        digits(s.median)
    } else {
        format!("{} ({}–{})", digits(s.median), digits(s.min), digits(s.max))
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or("—".to_owned(), |r| format!("{r:.2}"))
}

/// The Markdown table: every figure with this project's value, the peers'
/// values, and the ratios this/sqlx, this/refinery, this/raw.
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    out.push_str("| database | N | figure | unit | this project | sqlx | refinery | raw | this/sqlx | this/refinery | this/raw |\n");
    out.push_str("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for f in &results.figures {
        let get = |tool: Tool| value(f.values.get(tool.label()), &f.unit);
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | {} | {} | {} | {} | {} | {} | {} | {} |",
            f.database,
            f.n,
            f.figure,
            if f.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.note)
            },
            f.unit,
            get(Tool::Ours),
            get(Tool::Sqlx),
            get(Tool::Refinery),
            get(Tool::Raw),
            ratio(f.ratio(Tool::Sqlx)),
            ratio(f.ratio(Tool::Refinery)),
            ratio(f.ratio(Tool::Raw)),
        );
    }
    out.push_str("\nValues: median (min–max) over the repetitions. Ratios: median of this project / median of the peer, same run.\n");
    if !results.targets.is_empty() {
        out.push_str("\n| target | measured | met |\n| --- | --- | --- |\n");
        for c in &results.targets {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                c.target,
                c.measured,
                if c.met { "yes" } else { "**no**" }
            );
        }
    }
    out
}

/// The targets, checked against the figures of this run.
pub fn checks(figures: &[Figure]) -> Vec<Check> {
    let mut checks = Vec::new();
    for f in figures {
        let ours = f.ours().map(|s| s.median);
        match f.figure.as_str() {
            "no-op: statements" => {
                if let Some(v) = ours {
                    checks.push(Check {
                        target: format!(
                            "no-op startup sends exactly 1 statement ({} N={})",
                            f.database, f.n
                        ),
                        measured: format!("{v}"),
                        met: v == 1.0,
                    });
                }
            }
            "no-op: check" if f.n >= 1000 => {
                if let Some(r) = f.ratio(Tool::Sqlx) {
                    checks.push(Check {
                        target: format!("no-op time ≤ 0.5× sqlx ({} N={})", f.database, f.n),
                        measured: format!("{r:.2}×"),
                        met: r <= 0.5,
                    });
                }
            }
            "apply" => {
                if let Some(r) = f.ratio(Tool::Raw) {
                    checks.push(Check {
                        target: format!("apply ≤ 1.10× raw ({} N={})", f.database, f.n),
                        measured: format!("{r:.2}×"),
                        met: r <= 1.10,
                    });
                }
                let peers: Vec<(Tool, f64)> = [Tool::Sqlx, Tool::Refinery]
                    .into_iter()
                    .filter_map(|t| f.ratio(t).map(|r| (t, r)))
                    .collect();
                if !peers.is_empty() {
                    let measured = peers
                        .iter()
                        .map(|(t, r)| format!("{r:.2}× {}", t.label()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    checks.push(Check {
                        target: format!("apply below both peers ({} N={})", f.database, f.n),
                        measured,
                        met: peers.iter().all(|(_, r)| *r < 1.0),
                    });
                }
            }
            "compile time" => {
                if let Some(r) = f.ratio(Tool::Sqlx) {
                    checks.push(Check {
                        target: format!("compile time for {} files ≤ sqlx's", f.n),
                        measured: format!("{r:.2}×"),
                        met: r <= 1.0,
                    });
                }
            }
            _ => {}
        }
    }
    checks
}
