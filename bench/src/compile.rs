//! Compile time of the macro call over 1,000 migration files: a tiny crate
//! per tool whose `main.rs` holds only the macro call, built once to warm,
//! then `touch src/main.rs` + `cargo build --release`, timed, alternating.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use crate::tools::BoxError;
use crate::{generate, Tool};

pub struct CompileBench {
    /// Where the generated crates live (`<work>/compile/<tool>`).
    root: PathBuf,
    /// One target directory shared by the generated crates.
    target_dir: PathBuf,
    repo: PathBuf,
    lockfile: PathBuf,
}

impl CompileBench {
    pub fn new(work: &Path, repo: &Path) -> CompileBench {
        CompileBench {
            root: work.join("compile"),
            target_dir: repo.join("target").join("bench-compile"),
            repo: repo.to_owned(),
            lockfile: repo.join("bench").join("Cargo.lock"),
        }
    }

    fn dir(&self, tool: Tool) -> PathBuf {
        self.root.join(tool.name())
    }

    /// Writes the crate for `tool` with `n` migrations.
    pub fn generate(&self, tool: Tool, n: usize) -> Result<(), BoxError> {
        let dir = self.dir(tool);
        std::fs::create_dir_all(dir.join("src"))?;
        generate::write(&dir.join("migrations"), tool, n, generate::script)?;
        let (dependency, main) = match tool {
            Tool::Ours => (
                format!(
                    "migrata = {{ path = {:?}, features = [\"sqlite\", \"postgres\", \"mysql\"] }}",
                    self.repo.join("migrate-runtime").display().to_string()
                ),
                "static MIGRATIONS: migrata::Migrations = migrata::embed_migrations!(\"migrations\");\n\n\
                 fn main() {\n    println!(\"{}\", MIGRATIONS.all().len());\n}\n"
                    .to_owned(),
            ),
            // The same sqlx features as migrata, plus what
            // `sqlx::migrate!` needs.
            Tool::Sqlx => (
                "sqlx = { version = \"0.9\", default-features = false, features = [\"runtime-tokio\", \"sqlite-bundled\", \"postgres\", \"mysql\", \"migrate\", \"macros\"] }".to_owned(),
                "static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./migrations\");\n\n\
                 fn main() {\n    println!(\"{}\", MIGRATOR.iter().count());\n}\n"
                    .to_owned(),
            ),
            Tool::Refinery => (
                "refinery = { version = \"0.10\", default-features = false }".to_owned(),
                "refinery::embed_migrations!(\"migrations\");\n\n\
                 fn main() {\n    println!(\"{}\", migrations::runner().get_migrations().len());\n}\n"
                    .to_owned(),
            ),
            Tool::Raw => return Err("no compile benchmark for raw".into()),
        };
        let manifest = format!(
            "[package]\nname = \"compile-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [workspace]\n\n[dependencies]\n{dependency}\n",
            name = tool.name()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest)?;
        std::fs::write(dir.join("src").join("main.rs"), main)?;
        // Pin the versions the benchmark itself was built with.
        if !dir.join("Cargo.lock").exists() {
            std::fs::copy(&self.lockfile, dir.join("Cargo.lock"))?;
        }
        Ok(())
    }

    fn cargo_build(&self, tool: Tool) -> Result<f64, BoxError> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let started = Instant::now();
        let output = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--manifest-path"])
            .arg(self.dir(tool).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target_dir)
            .env_remove("CARGO_TARGET_DIR")
            .output()?;
        let seconds = started.elapsed().as_secs_f64();
        if !output.status.success() {
            return Err(format!(
                "building the {} compile crate failed:\n{}",
                tool.name(),
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(seconds)
    }

    /// Builds once (warm) and checks the binary embeds `n` migrations.
    pub fn warm(&self, tool: Tool, n: usize) -> Result<(), BoxError> {
        self.cargo_build(tool)?;
        let binary = self
            .target_dir
            .join("release")
            .join(format!("compile-{}", tool.name()));
        let output = Command::new(&binary).output()?;
        let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if printed != n.to_string() {
            return Err(format!(
                "{} embeds {printed} migrations, expected {n}",
                binary.display()
            )
            .into());
        }
        Ok(())
    }

    /// One timed rebuild after touching `main.rs`, in seconds. An untimed
    /// build first makes sure nothing else is stale (the runtime crate may be
    /// edited while the benchmark runs).
    pub fn rebuild(&self, tool: Tool) -> Result<f64, BoxError> {
        self.cargo_build(tool)?;
        let main = self.dir(tool).join("src").join("main.rs");
        std::fs::File::options()
            .append(true)
            .open(&main)?
            .set_modified(SystemTime::now())?;
        self.cargo_build(tool)
    }

    /// Warm every crate, then `reps` rounds of timed rebuilds, alternating
    /// the order of the tools round by round. refinery's rebuild takes about
    /// a minute at 1,000 files, so it takes part in the first
    /// `refinery_reps` rounds only.
    pub fn run(
        &self,
        n: usize,
        reps: usize,
        refinery_reps: usize,
    ) -> Result<BTreeMap<Tool, Vec<f64>>, BoxError> {
        let tools = [Tool::Ours, Tool::Sqlx, Tool::Refinery];
        for tool in tools {
            eprintln!(
                "compile: generating and warming the {} crate ({n} files)",
                tool.name()
            );
            self.generate(tool, n)?;
            self.warm(tool, n)?;
        }
        let mut samples: BTreeMap<Tool, Vec<f64>> = BTreeMap::new();
        for rep in 0..reps {
            let round: &[Tool] = if rep < refinery_reps {
                &tools
            } else {
                &tools[..2]
            };
            for tool in crate::rotated(round, rep) {
                let seconds = self.rebuild(tool)?;
                eprintln!("compile: {} rep {rep}: {seconds:.2} s", tool.name());
                samples.entry(tool).or_default().push(seconds);
            }
        }
        Ok(samples)
    }
}
