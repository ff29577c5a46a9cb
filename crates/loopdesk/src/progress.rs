//! A progress bar on standard error for long commands: redrawn in place on a terminal, a
//! line every tenth of the way otherwise (a log keeps them readable).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Width of the bar in characters.
const WIDTH: usize = 30;

/// One task's progress.
pub struct Bar {
    label: String,
    terminal: bool,
    drawn: Option<Instant>,
    tenth: u64,
}

impl Bar {
    /// A bar for the task `label`.
    pub fn new(label: &str) -> Bar {
        Bar {
            label: label.to_owned(),
            terminal: std::io::stderr().is_terminal(),
            drawn: None,
            tenth: 0,
        }
    }

    /// Shows `done` of `total`.
    pub fn show(&mut self, done: u64, total: u64) {
        let share = if total == 0 {
            1.0
        } else {
            (done as f64 / total as f64).min(1.0)
        };
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let due = self
                .drawn
                .is_none_or(|at| at.elapsed() >= Duration::from_millis(100));
            if due || done >= total {
                let filled = (share * WIDTH as f64).round() as usize;
                let _ = write!(
                    err,
                    "\r{} [{}{}] {:3.0}% {done}/{total}",
                    self.label,
                    "#".repeat(filled),
                    "-".repeat(WIDTH - filled),
                    share * 100.0
                );
                let _ = err.flush();
                self.drawn = Some(Instant::now());
            }
        } else {
            let tenth = (share * 10.0).floor() as u64;
            if self.drawn.is_none() || tenth > self.tenth {
                let _ = writeln!(
                    err,
                    "{}: {:.0}% ({done}/{total})",
                    self.label,
                    share * 100.0
                );
                self.tenth = tenth;
                self.drawn = Some(Instant::now());
            }
        }
    }

    /// Ends the bar's line.
    pub fn finish(&mut self) {
        if self.terminal && self.drawn.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}
