//! Command-line parsing and dispatch of `cargo xtask <task>`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::demo::demo;
use crate::docs::{docs, DocsOptions};
use crate::mirror::{publish_mirror, PublishOptions};
use crate::registry::{publish_registry, source_address, RegistryOptions};
use crate::release::{release, sign_release, write_checksums, ReleaseOptions};
use crate::workspace::Workspace;

const USAGE: &str = "\
usage: cargo xtask <task> [flags]

tasks:
  release --out DIR [--target TRIPLE] [--gpg-key ID]
      build the release binary and write the zip, SHA256SUMS, manifest (and signature, public
      key and key ID)
  sums --dir DIR [--gpg-key ID]
      rewrite manifest and SHA256SUMS for all of this version's zips in DIR (and sign them)
  registry --out DIR --hostname HOST --namespace NS [--gpg-key ID] [--from DIR] [--target TRIPLE]
      add this version to a static private registry (Provider Registry Protocol) served as
      https://HOST/, keeping older ones; --from takes signed release files from DIR
  mirror --out DIR --hostname HOST --namespace NS [--from DIR] [--target TRIPLE]
      add this version to a packed provider mirror (network and filesystem), keeping older ones;
      --from takes release zips from DIR instead of building them
  docs [--check] [--provider-binary PATH]
      regenerate docs/ from the provider schema and examples/ (--check: fail if stale)
  demo
      build provider and simulator, run init/plan/apply/update/destroy on examples/demo
  bench [--quick] [--runs N] [--only overhead,handshake,apply,size] [--no-build]
      measure start-up, memory, apply/refresh time and requests per operation; writes BENCHMARKS.md";

/// Flags after the task name: `--name value`, `--name=value` or a bare `--switch`.
struct Flags {
    values: Vec<(String, Option<String>)>,
}

impl Flags {
    fn parse(args: &[String], switches: &[&str]) -> Result<Flags> {
        let mut values = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                bail!("unexpected argument {arg:?}\n\n{USAGE}");
            };
            if let Some((name, value)) = flag.split_once('=') {
                values.push((name.to_owned(), Some(value.to_owned())));
            } else if switches.contains(&flag) {
                values.push((flag.to_owned(), None));
            } else {
                let value = iter
                    .next()
                    .with_context(|| format!("--{flag} needs a value\n\n{USAGE}"))?;
                values.push((flag.to_owned(), Some(value.clone())));
            }
        }
        Ok(Flags { values })
    }

    fn check_known(&self, known: &[&str]) -> Result<()> {
        for (name, _) in &self.values {
            if !known.contains(&name.as_str()) {
                bail!("unknown flag --{name}\n\n{USAGE}");
            }
        }
        Ok(())
    }

    fn value(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    fn required(&self, name: &str) -> Result<String> {
        self.value(name)
            .with_context(|| format!("--{name} is required\n\n{USAGE}"))
    }

    fn switch(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| n == name)
    }

    /// The flags `mirror` and `registry` share.
    fn publish_options(&self) -> Result<PublishOptions> {
        Ok(PublishOptions {
            out: PathBuf::from(self.required("out")?),
            hostname: self.required("hostname")?,
            namespace: self.required("namespace")?,
            from: self.value("from").map(PathBuf::from),
            target: self.value("target"),
        })
    }
}

/// Runs the task named by `args[0]` with the remaining flags.
pub fn run(args: &[String]) -> Result<()> {
    let Some((task, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(());
    };
    match task.as_str() {
        "release" => {
            let flags = Flags::parse(rest, &[])?;
            flags.check_known(&["out", "target", "gpg-key"])?;
            let options = ReleaseOptions {
                out: PathBuf::from(flags.required("out")?),
                target: flags.value("target"),
                gpg_key: flags.value("gpg-key"),
            };
            let output = release(&Workspace::discover()?, &options)?;
            println!("wrote {}", output.zip_path.display());
            println!("wrote {}", output.sums_path.display());
            if let Some(signing) = output.signing {
                println!("wrote {}", signing.signature_path.display());
                println!("wrote {}", signing.public_key_path.display());
                println!(
                    "wrote {} (key ID {})",
                    signing.key_id_path.display(),
                    signing.key_id
                );
            }
            Ok(())
        }
        "sums" => {
            let flags = Flags::parse(rest, &[])?;
            flags.check_known(&["dir", "gpg-key"])?;
            let dir = PathBuf::from(flags.required("dir")?);
            let workspace = Workspace::discover()?;
            let sums = write_checksums(&dir, &workspace.version)?;
            println!("wrote {}", sums.display());
            if let Some(key) = flags.value("gpg-key") {
                let signing = sign_release(&dir, &workspace.version, &key, None)?;
                println!("wrote {}", signing.signature_path.display());
                println!("wrote {}", signing.public_key_path.display());
            }
            Ok(())
        }
        "mirror" => {
            let flags = Flags::parse(rest, &[])?;
            flags.check_known(&["out", "hostname", "namespace", "from", "target"])?;
            let dir = publish_mirror(&Workspace::discover()?, &flags.publish_options()?)?;
            println!("mirror updated: {}", dir.display());
            Ok(())
        }
        "registry" => {
            let flags = Flags::parse(rest, &[])?;
            flags.check_known(&["out", "hostname", "namespace", "gpg-key", "from", "target"])?;
            let options = RegistryOptions {
                publish: flags.publish_options()?,
                gpg_key: flags.value("gpg-key"),
            };
            let dir = publish_registry(&Workspace::discover()?, &options)?;
            println!("registry updated: {}", dir.display());
            let PublishOptions {
                out,
                hostname,
                namespace,
                ..
            } = &options.publish;
            println!(
                "serve {} as https://{hostname}/ and require source = \"{}\"",
                out.display(),
                source_address(hostname, namespace)
            );
            Ok(())
        }
        "docs" => {
            let flags = Flags::parse(rest, &["check"])?;
            flags.check_known(&["check", "provider-binary"])?;
            let options = DocsOptions {
                check: flags.switch("check"),
                provider_binary: flags.value("provider-binary").map(PathBuf::from),
            };
            docs(&Workspace::discover()?, &options)
        }
        "demo" => {
            Flags::parse(rest, &[])?.check_known(&[])?;
            demo(&Workspace::discover()?)
        }
        "bench" => crate::bench::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_values_and_switches() {
        let flags = Flags::parse(
            &strings(&["--out", "dist", "--target=aarch64-apple-darwin", "--check"]),
            &["check"],
        )
        .expect("flags");
        assert_eq!(flags.value("out").as_deref(), Some("dist"));
        assert_eq!(
            flags.value("target").as_deref(),
            Some("aarch64-apple-darwin")
        );
        assert!(flags.switch("check"));
        assert!(flags.check_known(&["out", "target", "check"]).is_ok());
        assert!(flags.check_known(&["out"]).is_err());
    }

    #[test]
    fn reports_missing_values_and_unknown_tasks() {
        assert!(Flags::parse(&strings(&["--out"]), &[]).is_err());
        assert!(Flags::parse(&strings(&["stray"]), &[]).is_err());
        let err = run(&strings(&["frobnicate"])).expect_err("unknown task");
        assert!(err.to_string().contains("unknown task"));
        let err = run(&strings(&["bench", "--bogus"])).expect_err("unknown bench flag");
        assert!(err.to_string().contains("unknown argument"), "{err}");
    }
}
