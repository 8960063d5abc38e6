//! The writer's WAL file, written with one `pwrite` per commit instead of
//! two per page.
//!
//! SQLite appends a commit to the WAL one frame at a time, a 24-byte header
//! then the page, each its own `pwrite`: a batch of orders is ~500 system
//! calls, each crossing into the kernel and splitting a page-cache block.
//! The profile of durable orders had a third of the writer's time in them
//! (BENCHMARKS.md). This VFS, used only by the writer connection, wraps the
//! default one and, for WAL files only, gathers contiguous writes in memory
//! and hands them to the real file in one write at the end of the commit.
//!
//! When the gathered bytes reach the file matters, because other
//! connections read WAL frames through their own descriptors once the
//! commit is published in the shared WAL index. SQLite publishes a commit
//! after its `xSync` of the WAL, so `xSync` writes the buffer out first;
//! every other call on the file (read, size, truncate, file control, close)
//! does too, so the file never looks different from SQLite's own writes.
//!
//! The sync itself: the writer runs `synchronous = FULL` and
//! `checkpoint_fullfsync = ON`, so SQLite asks to sync the WAL with
//! `SQLITE_SYNC_NORMAL` at a commit and with `SQLITE_SYNC_FULL` before a
//! checkpoint copies frames into the database or a new WAL generation
//! starts (`walSyncFlags` in the SQLite source). The FULL ones are done
//! here. The commit ones are left to the sync thread (`sqlite/sync.rs`),
//! which fdatasyncs the WAL after `COMMIT` returns and before any job of
//! the batch is answered: that is why this VFS is only ever used when that
//! thread runs.

use rusqlite::ffi;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::OnceLock;

/// The name connections open the database with to get this VFS.
pub(crate) const NAME: &str = "physconn-gathered-wal";
const NAME_C: &CStr = c"physconn-gathered-wal";

/// Past this, gathered bytes are written out before more are taken: a
/// batch's commit is a few MB at most; a large transaction that spills
/// pages mid-way is written in pieces of this size.
const MAX_GATHERED: usize = 8 << 20;

/// The most one call of the default VFS's xWrite takes: it writes at most
/// 0x1ffff bytes per system call (`seekAndWriteFd` masks the length), so a
/// length that is a multiple of 128 KiB fails with SQLITE_FULL. 31 pages.
const MAX_WRITE: usize = 31 * 4096;

/// Buffer capacity kept between commits (a batch of 64 orders is ~1 MB).
const KEEP_CAPACITY: usize = 4 << 20;

/// The head of every file this VFS opens for a WAL; the default VFS's own
/// file structure follows it in the same allocation.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    gathered: *mut Gathered,
}

#[derive(Default)]
struct Gathered {
    /// File offset of `bytes[0]`.
    at: i64,
    bytes: Vec<u8>,
}

/// Where the default VFS's file starts: after our head, 8-byte aligned.
const HEAD: usize = std::mem::size_of::<WalFile>().next_multiple_of(8);

struct Registered {
    /// The default VFS this one wraps.
    real: usize,
}

static REGISTERED: OnceLock<Result<Registered, c_int>> = OnceLock::new();

/// Registers the VFS (once per process). Errors with SQLite's result code;
/// the caller then opens the writer without it.
pub(crate) fn register() -> Result<(), c_int> {
    REGISTERED
        .get_or_init(|| {
            // SAFETY: sqlite3_vfs_find and sqlite3_vfs_register are
            // thread-safe; the struct we register is leaked, so it lives
            // as long as the process, as SQLite requires.
            unsafe {
                let rc = ffi::sqlite3_initialize();
                if rc != ffi::SQLITE_OK {
                    return Err(rc);
                }
                let real = ffi::sqlite3_vfs_find(std::ptr::null());
                if real.is_null() {
                    return Err(ffi::SQLITE_ERROR);
                }
                let mut vfs: ffi::sqlite3_vfs = *real;
                vfs.szOsFile = c_int::try_from(HEAD)
                    .ok()
                    .and_then(|h| h.checked_add((*real).szOsFile))
                    .ok_or(ffi::SQLITE_ERROR)?;
                vfs.pNext = std::ptr::null_mut();
                vfs.zName = NAME_C.as_ptr();
                vfs.xOpen = Some(open);
                // pAppData stays the default VFS's own (its file finder),
                // for the default methods copied along with it.
                let rc = ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 0);
                if rc != ffi::SQLITE_OK {
                    return Err(rc);
                }
                Ok(Registered {
                    real: real as usize,
                })
            }
        })
        .as_ref()
        .map(drop)
        .map_err(|rc| *rc)
}

/// Whether gathering is safe on the writer connection `conn` opened through
/// this VFS: only if every commit ends with an `xSync` of the WAL after its
/// last write. That needs `synchronous = FULL` (below it, SQLite never syncs
/// at commit) and power-safe overwrite on the database file (without it,
/// SQLite pads a commit to a sector boundary and writes the padding's last
/// piece after the sync, and that piece would stay here while the commit is
/// published).
pub(crate) fn safe_on(conn: &rusqlite::Connection) -> bool {
    let full = conn
        .query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))
        .is_ok_and(|s| s == 2);
    let mut psow: c_int = -1;
    // SAFETY: the handle is live for the call; the file control reads and
    // writes one int through the pointer.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_POWERSAFE_OVERWRITE,
            (&raw mut psow).cast(),
        )
    };
    full && rc == ffi::SQLITE_OK && psow == 1
}

fn real_vfs() -> *mut ffi::sqlite3_vfs {
    match REGISTERED.get() {
        Some(Ok(r)) => r.real as *mut ffi::sqlite3_vfs,
        _ => std::ptr::null_mut(),
    }
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real = real_vfs();
    let Some(real_open) = (unsafe { real.as_ref() }).and_then(|v| v.xOpen) else {
        return ffi::SQLITE_ERROR;
    };
    if flags & ffi::SQLITE_OPEN_WAL == 0 {
        // Not a WAL: the default file, in place (our size is larger).
        return unsafe { real_open(real, name, file, flags, out_flags) };
    }
    let head = file.cast::<WalFile>();
    // SAFETY: SQLite gives `szOsFile` bytes at `file`, 8-byte aligned:
    // our head, then room for the default VFS's file at `HEAD`.
    unsafe {
        (*head).base.pMethods = std::ptr::null();
        let inner = file.cast::<u8>().add(HEAD).cast::<ffi::sqlite3_file>();
        let rc = real_open(real, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            // The default VFS cleaned up after itself; with our methods
            // unset, SQLite will not call xClose on this file.
            return rc;
        }
        (*head).real = inner;
        (*head).gathered = Box::into_raw(Box::default());
        (*head).base.pMethods = &METHODS;
    }
    ffi::SQLITE_OK
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The default VFS's file and its methods.
///
/// # Safety
/// `f` is a file `open` set up (its methods are ours only then).
unsafe fn inner(
    f: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    unsafe {
        let real = (*f.cast::<WalFile>()).real;
        (real, &*(*real).pMethods)
    }
}

/// Writes the gathered bytes to the file.
///
/// # Safety
/// As `inner`.
unsafe fn flush(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let g = &mut *(*f.cast::<WalFile>()).gathered;
        if g.bytes.is_empty() {
            return ffi::SQLITE_OK;
        }
        let (real, m) = inner(f);
        let Some(w) = m.xWrite else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let mut rc = ffi::SQLITE_OK;
        let mut at = g.at;
        for piece in g.bytes.chunks(MAX_WRITE) {
            // Both fit: a piece is at most MAX_WRITE bytes.
            let n = c_int::try_from(piece.len()).unwrap_or(c_int::MAX);
            rc = w(real, piece.as_ptr().cast(), n, at);
            if rc != ffi::SQLITE_OK {
                break;
            }
            at += i64::from(n);
        }
        // Written or not, these bytes are done with: on an error SQLite
        // fails the transaction and rewrites what it needs.
        g.bytes.clear();
        // A batch's commit fits in what is kept; an import's does not, and
        // its buffer is not kept for the life of the process.
        g.bytes.shrink_to(KEEP_CAPACITY);
        rc
    }
}

unsafe extern "C" fn close(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let rc = flush(f);
        let (real, m) = inner(f);
        let closed = m.xClose.map_or(ffi::SQLITE_OK, |c| c(real));
        drop(Box::from_raw((*f.cast::<WalFile>()).gathered));
        (*f).pMethods = std::ptr::null();
        if rc != ffi::SQLITE_OK {
            rc
        } else {
            closed
        }
    }
}

unsafe extern "C" fn write(
    f: *mut ffi::sqlite3_file,
    data: *const c_void,
    amt: c_int,
    at: i64,
) -> c_int {
    unsafe {
        let Ok(len) = usize::try_from(amt) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let g = &mut *(*f.cast::<WalFile>()).gathered;
        let follows = i64::try_from(g.bytes.len())
            .ok()
            .and_then(|n| g.at.checked_add(n))
            == Some(at);
        if !g.bytes.is_empty() && (!follows || g.bytes.len() + len > MAX_GATHERED) {
            let rc = flush(f);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let g = &mut *(*f.cast::<WalFile>()).gathered;
        if g.bytes.is_empty() {
            g.at = at;
        }
        if g.bytes.try_reserve(len).is_err() {
            return ffi::SQLITE_IOERR_NOMEM;
        }
        g.bytes
            .extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), len));
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe {
        let rc = flush(f);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        if flags & 0x03 != ffi::SQLITE_SYNC_FULL {
            // A commit: the sync thread syncs before answering.
            return ffi::SQLITE_OK;
        }
        let (real, m) = inner(f);
        m.xSync.map_or(ffi::SQLITE_OK, |s| s(real, flags))
    }
}

/// The methods that only pass through, once the file holds every write.
macro_rules! after_flush {
    ($name:ident ( $($arg:ident : $ty:ty),* ) => $method:ident) => {
        unsafe extern "C" fn $name(f: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> c_int {
            unsafe {
                let rc = flush(f);
                if rc != ffi::SQLITE_OK {
                    return rc;
                }
                let (real, m) = inner(f);
                match m.$method {
                    Some(call) => call(real $(, $arg)*),
                    None => ffi::SQLITE_IOERR,
                }
            }
        }
    };
}

after_flush!(read(data: *mut c_void, amt: c_int, at: i64) => xRead);
after_flush!(truncate(size: i64) => xTruncate);
after_flush!(file_size(size: *mut i64) => xFileSize);
after_flush!(file_control(op: c_int, arg: *mut c_void) => xFileControl);
after_flush!(lock(level: c_int) => xLock);
after_flush!(unlock(level: c_int) => xUnlock);
after_flush!(check_reserved_lock(out: *mut c_int) => xCheckReservedLock);

unsafe extern "C" fn sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let (real, m) = inner(f);
        m.xSectorSize.map_or(4096, |s| s(real))
    }
}

unsafe extern "C" fn device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let (real, m) = inner(f);
        m.xDeviceCharacteristics.map_or(0, |d| d(real))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, OpenFlags};

    /// Write system calls made by this thread so far (Linux task I/O stats).
    fn writes_by_this_thread() -> Option<u64> {
        let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
        io.lines()
            .find_map(|l| l.strip_prefix("syscw: "))
            .and_then(|n| n.trim().parse().ok())
    }

    fn count(path: &std::path::Path) -> (i64, i64) {
        let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        c.query_row("SELECT COUNT(*), SUM(length(x)) FROM t", [], |r| {
            Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0)))
        })
        .unwrap()
    }

    #[test]
    fn a_commit_is_one_write_and_readable_by_others_and_from_disk() {
        register().expect("registered");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let c = Connection::open_with_flags_and_vfs(&path, flags, NAME).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA checkpoint_fullfsync = ON; PRAGMA wal_autocheckpoint = 0; \
             CREATE TABLE t (x BLOB);",
        )
        .unwrap();
        assert!(safe_on(&c));
        let before = writes_by_this_thread();
        // ~300 pages: SQLite alone writes them with ~600 pwrites.
        c.execute_batch(
            "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
             INSERT INTO t SELECT randomblob(3000) FROM n; COMMIT;",
        )
        .unwrap();
        if let (Some(b), Some(a)) = (before, writes_by_this_thread()) {
            // 1.2 MB in pieces of 124 KiB.
            assert!(a - b <= 14, "{} write calls for one commit", a - b);
        }
        // Another connection, through the default VFS, sees the commit.
        assert_eq!(count(&path), (300, 900_000));
        // The bytes are in the files, not only in this process: a copy
        // of the database and its WAL, taken before any checkpoint,
        // recovers the commit.
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        std::fs::copy(dir.path().join("g.db-wal"), dir.path().join("copy.db-wal")).unwrap();
        assert_eq!(count(&copy), (300, 900_000));
        // Checkpoints (synced for real) and a WAL restart still work.
        c.execute_batch("PRAGMA wal_checkpoint(RESTART); INSERT INTO t VALUES (x'00');")
            .unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        drop(c);
        assert_eq!(count(&path), (301, 900_001));
    }

    #[test]
    fn unsafe_settings_are_detected() {
        register().expect("registered");
        let dir = tempfile::tempdir().unwrap();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI;
        let path = dir.path().join("n.db");
        let c = Connection::open_with_flags_and_vfs(&path, flags, NAME).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .unwrap();
        assert!(!safe_on(&c), "NORMAL never syncs at commit");
        let uri = format!("file:{}?psow=0", dir.path().join("p.db").display());
        let c = Connection::open_with_flags_and_vfs(uri, flags, NAME).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .unwrap();
        assert!(
            !safe_on(&c),
            "without power-safe overwrite SQLite pads after the sync"
        );
    }
}
