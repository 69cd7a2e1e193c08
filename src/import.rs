//! Batch import's reading and loading, called by the job's steps (sql/batch_import.sql).
//!
//! A CSV file is read here, in the worker, record by record (fraud_engine::csv_input): a
//! broken record fails alone, and the job remembers the byte offset and line where the next
//! batch starts. A table or query input is staged as text first (fraud._job_stage) and read
//! back here in batches. Either way every row goes through the same checks
//! (fraud_engine::import); each batch looks up which of its event ids are stored already (they
//! fail), then stores its good rows with one INSERT from arrays and its failed rows with
//! another, in the step's transaction.
//!
//! Reading a server-side file here bypasses COPY's own privilege check, so it is made here: the
//! job's creator must have the privileges of pg_read_server_files, at creation and at every
//! step.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use pgrx::prelude::*;
use pgrx::{pg_sys, PgSqlErrorCode};

use fraud_engine::csv_input::{Position, Records};
use fraud_engine::import::{self, Layout, Role};

use crate::errors::raise;

/// 42501 unless `role` may read server-side files, as COPY FROM a file requires.
fn require_file_privilege(role: pg_sys::Oid, path: &str) {
    // SAFETY: PostgreSQL's own role-membership check (true for superusers).
    let ok = unsafe {
        pg_sys::has_privs_of_role(role, pg_sys::Oid::from(pg_sys::ROLE_PG_READ_SERVER_FILES))
    };
    if !ok {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "permission denied to read file \"{path}\": importing a server-side file needs the privileges of the pg_read_server_files role (as COPY FROM a file does)"
            ),
        );
    }
}

/// PostgreSQL's wording and SQLSTATE for a file that cannot be read (the callers at job
/// creation turn these into 22023 naming input_path).
fn file_error(path: &str, what: &str, e: &std::io::Error) -> ! {
    let code = match e.kind() {
        std::io::ErrorKind::NotFound => PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
        _ => PgSqlErrorCode::ERRCODE_IO_ERROR,
    };
    let text = e.to_string();
    // "No such file or directory (os error 2)": strerror's text, as PostgreSQL's %m
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    let what = if what == "open" {
        "open file \"{path}\" for reading"
    } else {
        "read file \"{path}\""
    };
    raise(
        code,
        format!("could not {}: {text}", what.replace("{path}", path)),
    )
}

fn open(role: pg_sys::Oid, path: &str, at: u64, buffer: usize) -> BufReader<File> {
    require_file_privilege(role, path);
    if !crate::datum::utf8_database() {
        // the reader takes UTF-8 files and stores their text as it is
        raise(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            "batch import of a CSV file needs a UTF-8 database (import from a table or a query instead)".to_string(),
        );
    }
    let mut f = File::open(path).unwrap_or_else(|e| file_error(path, "open", &e));
    if at > 0 {
        f.seek(SeekFrom::Start(at))
            .unwrap_or_else(|e| file_error(path, "read", &e));
    }
    BufReader::with_capacity(buffer, f)
}

fn next<R: BufRead>(r: &mut Records<R>, path: &str) -> Option<fraud_engine::csv_input::Record> {
    r.next_record()
        .unwrap_or_else(|e| file_error(path, "read", &e))
}

/// Rows of one batch checked and stored.
#[derive(Default)]
struct Batch {
    ids: Vec<String>,
    ts: Vec<TimestampWithTimeZone>,
    entity_types: Vec<String>,
    entity_ids: Vec<String>,
    vars: Vec<String>,
    labels: Vec<Option<String>>,
    label_ts: Vec<Option<TimestampWithTimeZone>>,
    /// the data row number of each valid row, in the same order
    rows: Vec<i64>,
    err_rows: Vec<i64>,
    err_ids: Vec<Option<String>>,
    err_reasons: Vec<String>,
    seen: HashSet<String>,
}

/// An epoch-milliseconds timestamp as timestamptz, as `to_timestamp(ms / 1000.0)` gives it
/// (the engine's timestamp parser keeps event times within timestamptz's range).
fn timestamptz(ms: i64) -> TimestampWithTimeZone {
    crate::datum::millis_timestamp(ms)
        .and_then(|t| TimestampWithTimeZone::try_from(t).ok())
        .unwrap_or_else(|| crate::errors::internal(format!("timestamp out of range: {ms} ms")))
}

impl Batch {
    /// Takes the rows whose event id is stored already out of the batch: they fail. (One
    /// index probe per id; cheaper than INSERT ... ON CONFLICT's speculative insertion.)
    fn drop_stored(&mut self, event_type: &str) {
        let stored = Spi::connect(|c| {
            c.select(
                "SELECT pg_catalog.array_agg(e.event_id) FROM fraud.events e
                 WHERE e.event_type_name = $1 AND e.event_id = ANY ($2::text[])",
                None,
                &[event_type.into(), self.ids.clone().into()],
            )?
            .first()
            .get_one::<Vec<String>>()
        })
        .unwrap_or_else(|e| {
            crate::errors::internal(format!(
                "batch import: looking up stored events failed: {e}"
            ))
        })
        .unwrap_or_default();
        if stored.is_empty() {
            return;
        }
        let stored: HashSet<String> = stored.into_iter().collect();
        let keep: Vec<bool> = self.ids.iter().map(|id| !stored.contains(id)).collect();
        for (i, id) in self.ids.iter().enumerate() {
            if !keep[i] {
                self.err_rows.push(self.rows[i]);
                self.err_ids.push(Some(import::left(id, 100).to_string()));
                self.err_reasons
                    .push(import::already_stored(id, event_type));
            }
        }
        fn filter<T>(v: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            v.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        filter(&mut self.ids, &keep);
        filter(&mut self.ts, &keep);
        filter(&mut self.entity_types, &keep);
        filter(&mut self.entity_ids, &keep);
        filter(&mut self.vars, &keep);
        filter(&mut self.labels, &keep);
        filter(&mut self.label_ts, &keep);
        filter(&mut self.rows, &keep);
    }

    fn fail(&mut self, row: i64, event_id: Option<&str>, reason: String) {
        self.err_rows.push(row);
        self.err_ids.push(event_id.map(str::to_string));
        self.err_reasons.push(reason);
    }

    fn add(&mut self, layout: &Layout, row: i64, values: &[Option<&str>]) {
        match layout.check(values) {
            Err(reason) => self.fail(row, layout.event_id(values), reason),
            // a repeated event id: only valid rows count, so a bad row never hides a good one
            Ok(e) if self.seen.contains(&e.event_id) => {
                let reason = import::repeated_in_input(&e.event_id);
                self.fail(row, Some(import::left(&e.event_id, 100)), reason)
            }
            Ok(e) => {
                let mut vars = serde_json::Map::new();
                for (k, v) in e.variables {
                    vars.insert(k, serde_json::Value::String(v));
                }
                self.seen.insert(e.event_id.clone());
                self.ids.push(e.event_id);
                self.ts.push(timestamptz(e.timestamp_ms));
                self.entity_types.push(e.entity_type);
                self.entity_ids.push(e.entity_id);
                self.vars.push(serde_json::Value::Object(vars).to_string());
                self.labels.push(e.label);
                self.label_ts.push(e.label_timestamp_ms.map(timestamptz));
                self.rows.push(row);
            }
        }
    }

    /// Stores the valid rows (those whose id is stored already become failures) and the
    /// failures; returns (processed, failed).
    fn store(mut self, job_id: &str, event_type: &str) -> (i64, i64) {
        let processed = (self.ids.len() + self.err_rows.len()) as i64;
        if !self.ids.is_empty() {
            self.drop_stored(event_type);
        }
        if !self.ids.is_empty() {
            // unnest of several arrays is syntax (ROWS FROM), which a schema-qualified name
            // loses; the worker's search_path is pg_catalog, pg_temp (src/jobs.rs)
            Spi::connect_mut(|c| {
                c.update(
                    "INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables,
                                               event_label, label_timestamp)
                     SELECT $1, u.id, u.ts, pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('entityType', u.et, 'entityId', u.eid)),
                            u.vars::jsonb, u.label, u.lts
                     FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
                          AS u(id, ts, et, eid, vars, label, lts)",
                    None,
                    &[
                        event_type.into(),
                        std::mem::take(&mut self.ids).into(),
                        std::mem::take(&mut self.ts).into(),
                        std::mem::take(&mut self.entity_types).into(),
                        std::mem::take(&mut self.entity_ids).into(),
                        std::mem::take(&mut self.vars).into(),
                        std::mem::take(&mut self.labels).into(),
                        std::mem::take(&mut self.label_ts).into(),
                    ],
                )
                .map(|_| ())
            })
            .unwrap_or_else(|e| crate::errors::internal(format!("batch import: storing the events failed: {e}")));
        }
        let failed = self.err_rows.len() as i64;
        if failed > 0 {
            Spi::connect_mut(|c| {
                c.update(
                    "INSERT INTO fraud.batch_import_errors (job_id, row_number, event_id, reason)
                     SELECT $1, u.r, u.id, u.reason
                     FROM unnest($2::int8[], $3::text[], $4::text[]) AS u(r, id, reason)",
                    None,
                    &[
                        job_id.into(),
                        std::mem::take(&mut self.err_rows).into(),
                        std::mem::take(&mut self.err_ids).into(),
                        std::mem::take(&mut self.err_reasons).into(),
                    ],
                )
                .map(|_| ())
            })
            .unwrap_or_else(|e| {
                crate::errors::internal(format!(
                    "batch import: storing the failed rows failed: {e}"
                ))
            });
        }
        (processed, failed)
    }
}

/// What each input column is, from `fraud._import_columns` (role, name, data type per column).
fn layout(
    event_type: &str,
    roles: Vec<Option<String>>,
    names: Vec<Option<String>>,
    types: Vec<Option<String>>,
    entity_types: Vec<Option<String>>,
    labels: Vec<Option<String>>,
) -> Layout {
    let roles = roles
        .iter()
        .zip(names.iter().zip(types.iter()))
        .map(|(r, (n, t))| {
            Role::parse(
                r.as_deref().unwrap_or(""),
                n.as_deref().unwrap_or(""),
                t.as_deref(),
            )
            .unwrap_or_else(|| {
                crate::errors::invalid(format!(
                    "column {} of the input is neither an AFD column nor a variable of event type {} (did the input change since the job was created?)",
                    import::quote_literal(n.as_deref().unwrap_or("")),
                    import::quote_literal(event_type)
                ))
            })
        })
        .collect();
    Layout {
        event_type: event_type.to_string(),
        roles,
        entity_types: entity_types.into_iter().flatten().collect(),
        labels: labels.into_iter().flatten().collect(),
    }
}

/// The rows (row number, values) of a staging table after `after`, at most `limit`.
fn staged_rows(staging: &str, after: i64, limit: i32) -> Vec<(i64, Vec<Option<String>>)> {
    // the name comes from fraud._job_staging_name: nothing but a hash
    let hex = staging.strip_prefix("fraud._job_").unwrap_or("");
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        crate::errors::internal(format!("not a staging table: {staging}"));
    }
    Spi::connect(|c| {
        let t = c.select(
            &format!("SELECT * FROM {staging} WHERE _row > $1 ORDER BY _row LIMIT $2"),
            None,
            &[after.into(), (limit as i64).into()],
        )?;
        let n = t.columns()?;
        let mut out = Vec::with_capacity(t.len());
        for r in t {
            let row = r.get::<i64>(1)?.unwrap_or_default();
            let mut values = Vec::with_capacity(n.saturating_sub(1));
            for i in 2..=n {
                values.push(r.get::<String>(i)?);
            }
            out.push((row, values));
        }
        Ok::<_, pgrx::spi::SpiError>(out)
    })
    .unwrap_or_else(|e| {
        crate::errors::internal(format!(
            "batch import: reading the staged input failed: {e}"
        ))
    })
}

#[pgrx::pg_schema]
pub mod fraud {
    use super::*;

    /// The column names on the first line of CSV file `path` (spaces around them dropped), read
    /// for `role`: 42501 unless it may read server-side files. NULL when the first line is
    /// not a CSV record.
    #[pg_extern(volatile, strict, name = "_csv_header")]
    pub fn csv_header(role: pg_sys::Oid, path: &str) -> Option<Vec<String>> {
        // at most 64 kB, as pg_read_file did here before: a header is one short line, and a
        // device like /dev/zero must not be read forever
        let src = open(role, path, 0, 1 << 16).take(1 << 16);
        let mut r = Records::new(src, Position { offset: 0, line: 1 });
        let fields = next(&mut r, path)?.fields.ok()?;
        Some(
            fields
                .into_iter()
                .map(|f| f.trim_matches(' ').to_string())
                .collect(),
        )
    }

    /// How many records follow the header of CSV file `path` (broken ones included, as the
    /// import reads them), and where the first one starts; read for `role` as
    /// [`csv_header`] is.
    #[pg_extern(volatile, strict, name = "_csv_scan")]
    pub fn csv_scan(
        role: pg_sys::Oid,
        path: &str,
    ) -> TableIterator<
        'static,
        (
            name!(records, i64),
            name!(data_offset, i64),
            name!(data_line, i64),
        ),
    > {
        let mut r = Records::new(
            open(role, path, 0, 1 << 20),
            Position { offset: 0, line: 1 },
        );
        next(&mut r, path);
        let start = r.position();
        let mut n = 0i64;
        while r
            .skip_record()
            .unwrap_or_else(|e| file_error(path, "read", &e))
        {
            n += 1;
            if n % 4096 == 0 {
                pg_sys::check_for_interrupts!();
            }
        }
        TableIterator::once((n, start.offset as i64, start.line as i64))
    }

    /// One batch of an import job: reads up to `batch_size` rows after data row `next_row`,
    /// from CSV file `file` (at byte `offset`, line `line`, read for `owner`) or from staging
    /// table `staging`, checks them, stores the good ones in fraud.events and the failures in
    /// fraud.batch_import_errors. Returns where the next batch starts, the counts, and whether
    /// the input ended.
    // the OUT columns are named in the signature (pgrx reads them there, not through an alias)
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[pg_extern(volatile, name = "_import_batch")]
    pub fn import_batch(
        job_id: &str,
        event_type: &str,
        roles: Vec<Option<String>>,
        names: Vec<Option<String>>,
        types: Vec<Option<String>>,
        entity_types: Vec<Option<String>>,
        labels: Vec<Option<String>>,
        owner: pg_sys::Oid,
        file: Option<&str>,
        staging: Option<&str>,
        next_row: i64,
        batch_size: i32,
        offset: Option<i64>,
        line: Option<i64>,
    ) -> TableIterator<
        'static,
        (
            name!(next_row, i64),
            name!(next_offset, Option<i64>),
            name!(next_line, Option<i64>),
            name!(processed, i64),
            name!(failed, i64),
            name!(at_end, bool),
        ),
    > {
        let layout = layout(event_type, roles, names, types, entity_types, labels);
        let ncols = layout.roles.len();
        let mut batch = Batch::default();
        let mut row = next_row;
        let mut at_end = false;
        let mut next_at = None;
        if let Some(path) = file {
            let at = Position {
                offset: offset.unwrap_or(0).max(0) as u64,
                line: line.unwrap_or(2).max(1) as u64,
            };
            let mut r = Records::new(open(owner, path, at.offset, 1 << 20), at);
            for _ in 0..batch_size.max(1) {
                // a batch of long records can take a while: cancel and timeouts act per record
                pg_sys::check_for_interrupts!();
                let Some(rec) = next(&mut r, path) else {
                    at_end = true;
                    break;
                };
                row += 1;
                match rec.fields {
                    Err(why) => batch.fail(row, None, import::broken_record(rec.line, &why)),
                    Ok(f) if f.len() != ncols => batch.fail(
                        row,
                        None,
                        import::wrong_field_count(rec.line, ncols, f.len()),
                    ),
                    Ok(f) => {
                        let values: Vec<Option<&str>> =
                            f.iter().map(|s| Some(s.as_str())).collect();
                        batch.add(&layout, row, &values);
                    }
                }
            }
            next_at = Some(r.position());
        } else if let Some(staging) = staging {
            let rows = staged_rows(staging, next_row, batch_size.max(1));
            at_end = rows.len() < batch_size.max(1) as usize;
            for (n, values) in &rows {
                row = *n;
                let values: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
                batch.add(&layout, row, &values);
            }
        } else {
            crate::errors::internal("batch import: neither a file nor a staging table".into());
        }
        let (processed, failed) = batch.store(job_id, event_type);
        TableIterator::once((
            row,
            next_at.map(|p| p.offset as i64),
            next_at.map(|p| p.line as i64),
            processed,
            failed,
            at_end,
        ))
    }
}
