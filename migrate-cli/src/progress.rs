//! Progress of `up`, `down` and `database setup|reset` on a terminal's
//! stderr: a line as each migration starts, and how long the one running
//! has taken once it passes a few seconds. Fed by the library's `starting
//! migration` and `applied migration` / `reverted migration` events, so it
//! shows what the library does, not what the CLI guesses.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// When the running migration's elapsed time is first shown, and how often
/// after that.
const FIRST_SHOWN: u64 = 3;
const SHOWN_EVERY: u64 = 5;

pub(super) struct Progress {
    running: Arc<Mutex<Option<Running>>>,
}

struct Running {
    label: String,
    since: Instant,
    last_shown: u64,
}

impl Progress {
    pub(super) fn new() -> Self {
        let running = Arc::new(Mutex::new(None));
        let ticking = Arc::clone(&running);
        std::thread::spawn(move || tick(&ticking));
        Progress { running }
    }

    fn set(&self, running: Option<Running>) {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = running;
    }
}

/// Every second: the running migration's elapsed time, when it is due.
fn tick(running: &Mutex<Option<Running>>) {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let mut running = running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = running.as_mut() {
            let secs = running.since.elapsed().as_secs();
            let due = match running.last_shown {
                0 => FIRST_SHOWN,
                shown => shown + SHOWN_EVERY,
            };
            if secs >= due {
                running.last_shown = secs;
                super::output::complain!("  {}: running for {secs} s", running.label);
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for Progress {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "migrata" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        match fields.message.as_str() {
            "starting migration" => {
                let label = match migrata_core::is_repeatable_version(fields.version) {
                    true => fields.file,
                    false => format!("{} {} ({})", fields.version, fields.name, fields.file),
                };
                let verb = match fields.direction.as_str() {
                    "down" => "reverting",
                    _ => "applying",
                };
                super::output::complain!("{verb} {label}");
                self.set(Some(Running {
                    label,
                    since: Instant::now(),
                    last_shown: 0,
                }));
            }
            // Every `starting migration` of the string came before: the
            // time shown is the string's, not the last one's.
            "sending migrations together in one query string" => self.set(Some(Running {
                label: format!(
                    "{} migrations sent together ({} to {})",
                    fields.count, fields.first, fields.last
                ),
                since: Instant::now(),
                last_shown: 0,
            })),
            "applied migration" | "reverted migration" => self.set(None),
            _ => {}
        }
    }
}

/// The fields of a `starting migration` event, and of a `sending
/// migrations together in one query string` one.
#[derive(Default)]
struct Fields {
    message: String,
    version: i64,
    count: u64,
    first: i64,
    last: i64,
    name: String,
    file: String,
    direction: String,
}

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        match field.name() {
            "version" => self.version = value,
            "first" => self.first = value,
            "last" => self.last = value,
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "count" {
            self.count = value;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_text(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record_text(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "name" => self.name = value,
            "file" => self.file = value,
            "direction" => self.direction = value,
            _ => {}
        }
    }
}
