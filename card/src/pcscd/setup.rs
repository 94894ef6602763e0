//! What a private pcscd needs before it starts: its programs, vpcd's
//! driver, two free ports, a private directory with the reader's
//! configuration. The pure parts (configuration text, failure diagnosis)
//! are unit-tested.

use std::fs::DirBuilder;
use std::net::TcpListener;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::error::PcscdError;

/// Where Debian's vsmartcard-vpcd installs the reader driver.
pub const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

/// Where programs are looked for after `PATH`: daemons live in `sbin`,
/// which a normal user's `PATH` often lacks.
const SYSTEM_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// The shell's exit code when `/run/pcscd` cannot be made in the namespace.
pub(super) const EXIT_NO_RUN_DIR: i32 = 97;
/// The shell's exit code when the bind mount on `/run/pcscd` fails.
pub(super) const EXIT_NO_BIND: i32 = 98;

/// `program` on `PATH`, else in the system directories.
pub(super) fn find_program(
    program: &'static str,
    package: &'static str,
) -> Result<PathBuf, PcscdError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or(PcscdError::MissingProgram { program, package })
}

/// A port `p` such that `p` and `p + 1` are free on every interface: vpcd
/// listens on both (slots 0 and 1). They are released before pcscd binds
/// them, so another process could take them meanwhile: unlikely among
/// ephemeral ports, and reported by pcscd's log if it happens.
pub(super) fn free_port_pair() -> Result<u16, PcscdError> {
    for _ in 0..100 {
        let Ok(first) = TcpListener::bind(("0.0.0.0", 0)) else {
            continue;
        };
        let Ok(addr) = first.local_addr() else {
            continue;
        };
        let port = addr.port();
        if port < u16::MAX && TcpListener::bind(("0.0.0.0", port + 1)).is_ok() {
            return Ok(port);
        }
    }
    Err(PcscdError::NoFreePort)
}

/// Makes a new directory `pivot-pcscd-<pid>-<n>` under `parent`, readable
/// by the user only, with `conf/` (pcscd's reader configuration) and
/// `run/` (bound on `/run/pcscd`: its socket and pid file).
pub(super) fn private_dir(parent: &Path, vpcd_port: u16) -> Result<PathBuf, PcscdError> {
    let mut builder = DirBuilder::new();
    builder.mode(0o700);
    let pid = std::process::id();
    let mut made = None;
    for n in 0..1000 {
        let dir = parent.join(format!("pivot-pcscd-{pid}-{n}"));
        match builder.create(&dir) {
            Ok(()) => {
                made = Some(dir);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(PcscdError::io(format!("creating {}", dir.display()), e)),
        }
    }
    let dir = made.ok_or_else(|| {
        PcscdError::io(
            format!("creating a directory in {}", parent.display()),
            std::io::ErrorKind::AlreadyExists.into(),
        )
    })?;
    let fill = || -> Result<(), PcscdError> {
        for sub in ["conf", "run"] {
            let path = dir.join(sub);
            builder
                .create(&path)
                .map_err(|e| PcscdError::io(format!("creating {}", path.display()), e))?;
        }
        let conf = dir.join("conf/vpcd");
        std::fs::write(&conf, reader_config(vpcd_port, Path::new(VPCD_DRIVER)))
            .map_err(|e| PcscdError::io(format!("writing {}", conf.display()), e))
    };
    fill().inspect_err(|_| {
        // Best effort: the error being reported matters more.
        let _ = std::fs::remove_dir_all(&dir);
    })?;
    Ok(dir)
}

/// pcscd's configuration of one vpcd reader on `port` (slot 0) and
/// `port + 1` (slot 1): the port is both the device name's suffix and the
/// channel id, which is how vpcd takes it.
pub fn reader_config(port: u16, driver: &Path) -> String {
    format!(
        "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{port:04X}\n\
         LIBPATH {}\nCHANNELID 0x{port:04X}\n",
        driver.display()
    )
}

/// What went wrong when the process ended before pcscd was ready, from its
/// exit code and its output (`unshare`'s own errors start with `unshare:`).
pub(super) fn diagnose(code: Option<i32>, status: String, log: &[String]) -> PcscdError {
    let log_text = log.join("\n");
    let namespace_refused = log.iter().any(|l| l.starts_with("unshare:"))
        || matches!(code, Some(EXIT_NO_RUN_DIR | EXIT_NO_BIND));
    if namespace_refused {
        PcscdError::NoNamespace { log: log_text }
    } else {
        PcscdError::Exited {
            status,
            log: log_text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_config_names_the_port_twice() {
        assert_eq!(
            reader_config(35963, Path::new(VPCD_DRIVER)),
            "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x8C7B\n\
             LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x8C7B\n"
        );
    }

    #[test]
    fn diagnosis_names_the_namespace_when_unshare_or_mount_fails() {
        let refused = ["unshare: unshare failed: Operation not permitted".to_owned()];
        assert!(matches!(
            diagnose(Some(1), "exit status: 1".into(), &refused),
            PcscdError::NoNamespace { .. }
        ));
        let no_bind = ["mount: /run/pcscd: permission denied.".to_owned()];
        let e = diagnose(Some(EXIT_NO_BIND), "exit status: 98".into(), &no_bind);
        assert!(matches!(e, PcscdError::NoNamespace { .. }));
        assert!(e.to_string().contains("mount: /run/pcscd"), "{e}");
        let crashed = ["pcscdaemon.c:123:main() something broke".to_owned()];
        let e = diagnose(Some(1), "exit status: 1".into(), &crashed);
        assert!(
            matches!(&e, PcscdError::Exited { status, .. } if status == "exit status: 1"),
            "{e:?}"
        );
    }

    #[test]
    fn programs_are_found_in_sbin_too() {
        // `sh` is everywhere; a name nobody has is missing.
        assert!(find_program("sh", "dash").is_ok());
        let e = find_program("pivot-no-such-program", "pivot-nothing").unwrap_err();
        assert_eq!(
            e.to_string(),
            "pivot-no-such-program is missing: install the Debian package pivot-nothing"
        );
    }

    #[test]
    fn the_private_dir_is_the_users_and_holds_the_reader() {
        use std::os::unix::fs::PermissionsExt;
        let parent = std::env::temp_dir();
        let dir = private_dir(&parent, 40000).unwrap();
        let other = private_dir(&parent, 40000).unwrap();
        assert_ne!(dir, other);
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let conf = std::fs::read_to_string(dir.join("conf/vpcd")).unwrap();
        assert!(conf.contains("CHANNELID 0x9C40"), "{conf}");
        assert!(dir.join("run").is_dir());
        std::fs::remove_dir_all(dir).unwrap();
        std::fs::remove_dir_all(other).unwrap();
    }
}
