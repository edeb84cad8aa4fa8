//! Importing the source extracts (ektp, kk, dtks, kps, jkn; FORMATS.md). A file is checked
//! whole before anything is written (encoding, header); then its rows are validated and
//! written in batches, each batch committed with the import's progress, so an interrupted
//! import resumes where it stopped when the same file is imported again, and a finished one
//! is not imported twice.

use std::collections::HashSet;

use chrono::Utc;
use pintu_domain::sources::{Header, RowIssue, Source, SourceRecord, parse_row};
use pintu_domain::{AreaCode, Invalid};
use pintu_store::imports::{self as q, ImportBatch, ImportIssue, ImportRow, NewSourceRecord};
use pintu_store::new_id;
use sha2::{Digest, Sha256};

use crate::{Ctx, Error, Pintu, Result, today};

/// Rows per transaction.
pub const IMPORT_BATCH_ROWS: usize = 2_000;

/// The step a running import reports its progress in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    /// Reading, validating and storing the file's rows: rows read, of the rows in the file.
    Storing,
    /// Linking the stored rows to the registry: rows linked, of the rows accepted. Reported
    /// once when the step begins (the plan is then being decided) and after each batch.
    Linking,
}

/// A file that passed the whole-file checks, ready to import.
#[derive(Debug)]
pub struct PreparedImport {
    pub import: ImportRow,
    data: Vec<u8>,
    header: Header,
}

impl Pintu {
    /// Checks a file and records its import (or finds the earlier import of the same file).
    /// Nothing is written when the file is refused.
    pub async fn prepare_import(
        &self,
        ctx: &Ctx,
        source: Source,
        file_name: &str,
        data: Vec<u8>,
    ) -> Result<PreparedImport> {
        if !ctx.actor.may_import() {
            return Err(Error::Forbidden);
        }
        let text =
            std::str::from_utf8(&data).map_err(|_| Error::invalid("file", "file_not_utf8"))?;
        if text.contains('\0') {
            return Err(Error::invalid("file", "file_not_utf8"));
        }
        let mut reader = csv_reader(&data);
        let names: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(_) => return Err(Error::invalid("file", "file_empty")),
        };
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let header = Header::parse(source, &name_refs).map_err(|e| match e {
            pintu_domain::sources::HeaderError::MissingColumns(cols) => {
                let mut inv = Invalid::default();
                for c in cols {
                    inv.push(c, "file_missing_column");
                }
                Error::Invalid(inv)
            }
            other => Error::invalid("file", other.code()),
        })?;
        let rows_total = reader.records().count() as i64;
        let sha256 = hex::encode(Sha256::digest(&data));
        let c = self.store.conn();
        if let Some(existing) = q::import_of_file(c, source.code(), &sha256).await? {
            self.check_import_scope(ctx, &existing)?;
            if existing.status != "done" {
                q::set_status(c, &existing.id, "running", None, Utc::now()).await?;
            }
            let import = q::import(c, &existing.id).await?.ok_or(Error::NotFound)?;
            return Ok(PreparedImport {
                import,
                data,
                header,
            });
        }
        let id = new_id();
        let area = match ctx.actor.scope() {
            pintu_domain::access::Scope::Within(a) => Some(a.as_str().to_string()),
            pintu_domain::access::Scope::National => None,
        };
        let unknown = (!header.unknown.is_empty()).then(|| header.unknown.join(", "));
        q::insert_import(
            c,
            &id,
            source.code(),
            file_name,
            &sha256,
            area.as_deref(),
            rows_total,
            unknown.as_deref(),
            &ctx.actor.label(),
            Utc::now(),
        )
        .await?;
        self.audit
            .record(
                ctx,
                "import.start",
                "import",
                Some(&id),
                area.as_deref(),
                Some(source.code().into()),
            )
            .await?;
        let import = q::import(c, &id).await?.ok_or(Error::NotFound)?;
        Ok(PreparedImport {
            import,
            data,
            header,
        })
    }

    /// Reads the prepared file from where its import stopped to the end (or until it is
    /// cancelled), a batch per transaction, then links its rows to the registry. `progress`
    /// gets the step, how far it is and its end ([`ImportStep`]).
    pub async fn run_import(
        &self,
        ctx: &Ctx,
        prepared: PreparedImport,
        mut progress: impl FnMut(ImportStep, i64, i64) + Send,
    ) -> Result<ImportRow> {
        let PreparedImport {
            import,
            data,
            header,
        } = prepared;
        if import.status == "done" {
            return Ok(import);
        }
        let villages = self.store.all_village_codes().await?;
        // Rows are checked against the area of the officer who started the import, also
        // when the import is resumed by the system after a restart.
        let scope = match import.area_code.as_deref().map(AreaCode::parse) {
            Some(Ok(area)) => pintu_domain::access::Scope::Within(area),
            Some(Err(_)) => return Err(Error::Internal(anyhow::anyhow!("import area"))),
            None => pintu_domain::access::Scope::National,
        };
        let today = today();
        let mut reader = csv_reader(&data);
        let mut records = reader.records().enumerate().skip(import.rows_read as usize);
        let mut read = import.rows_read;
        // While a batch is written (on SQLite, by sqlx's thread), the next one is read and
        // validated: the batches are still written one after the other, each in its turn.
        let mut writing: Option<tokio::task::JoinHandle<Result<bool>>> = None;
        let result: Result<&str> = async {
            loop {
                let current = q::import(self.store.conn(), &import.id)
                    .await?
                    .ok_or(Error::NotFound)?;
                if current.status == "cancelling" {
                    return Ok("cancelled");
                }
                let mut batch = ImportBatch {
                    records: Vec::new(),
                    issues: Vec::new(),
                    rows_read: read,
                    rejected: 0,
                    with_warnings: 0,
                };
                for (index, row) in records.by_ref().take(IMPORT_BATCH_ROWS) {
                    // The spreadsheet's row number: the header is row 1.
                    let row_number = index as i64 + 2;
                    batch.rows_read = index as i64 + 1;
                    let outcome = match &row {
                        Ok(r) => {
                            let cells: Vec<&str> = r.iter().collect();
                            parse_row(&header, &cells, today)
                        }
                        Err(_) => Err(vec![RowIssue {
                            column: String::new(),
                            code: "row_unreadable",
                        }]),
                    };
                    let outcome = outcome.and_then(|(rec, warnings)| {
                        match village_issue(&rec, &villages, &scope) {
                            Some(issue) => Err(vec![issue]),
                            None => Ok((rec, warnings)),
                        }
                    });
                    match outcome {
                        Ok((rec, warnings)) => {
                            if !warnings.is_empty() {
                                batch.with_warnings += 1;
                            }
                            push_issues(&mut batch.issues, row_number, warnings, false);
                            batch.records.push(new_record(row_number, rec));
                        }
                        Err(issues) => {
                            batch.rejected += 1;
                            push_issues(&mut batch.issues, row_number, issues, true);
                        }
                    }
                }
                if let Some(previous) = writing.take() {
                    written(previous).await?;
                    progress(ImportStep::Storing, read, import.rows_total);
                }
                if batch.rows_read == read {
                    return Ok("done");
                }
                let from = read;
                read = batch.rows_read;
                let (store, id, source) =
                    (self.store.clone(), import.id.clone(), import.source.clone());
                writing = Some(tokio::spawn(async move {
                    // In the process's writers' turn (decision record 0013): under a flood
                    // of payments the batch waits for the one being booked, not for
                    // SQLite's busy handler to catch a gap between two.
                    let tx = store.begin().await?;
                    if !q::write_batch(&tx, &id, &source, from, batch, Utc::now()).await? {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    tx.commit().await?;
                    Ok(true)
                }));
            }
        }
        .await;
        // A batch still being written when the import stopped (cancelled, or failed) is
        // waited for: it is committed, or not at all, before the import's status is set.
        let result = match (result, writing.take()) {
            (result, None) => result,
            (Err(e), Some(write)) => {
                let _ = write.await;
                Err(e)
            }
            (Ok(status), Some(write)) => written(write).await.map(|()| status),
        };
        let c = self.store.conn();
        // Every row read: synchronise them with the registry before the import is done.
        let result = match result {
            Ok("done") => self.synchronise(ctx, &import, &mut progress).await,
            other => other,
        };
        match result {
            Ok(status) => {
                if status == "done" {
                    q::finish_sync(c, &import.id, Utc::now()).await?;
                } else {
                    q::set_status(c, &import.id, status, None, Utc::now()).await?;
                }
                // The upload kept for a resume is no longer needed, whichever run ends the
                // import (the server's, or the command line's beside it).
                let _ = std::fs::remove_file(self.import_file_path(&import.id));
                self.audit
                    .record(
                        ctx,
                        &format!("import.{status}"),
                        "import",
                        Some(&import.id),
                        import.area_code.as_deref(),
                        None,
                    )
                    .await?;
            }
            Err(Error::Conflict { .. }) => {}
            Err(e) => {
                q::set_status(c, &import.id, "failed", Some(&e.to_string()), Utc::now()).await?;
                return Err(e);
            }
        }
        q::import(c, &import.id).await?.ok_or(Error::NotFound)
    }

    /// Synchronises an import whose rows are all stored: `done`, or `cancelled` when a
    /// cancel was asked for before its last batch was applied (also one asked for after the
    /// storing's last look at the status).
    async fn synchronise(
        &self,
        ctx: &Ctx,
        import: &ImportRow,
        progress: &mut (dyn FnMut(ImportStep, i64, i64) + Send),
    ) -> Result<&'static str> {
        let c = self.store.conn();
        if !q::start_sync(c, &import.id, Utc::now()).await? {
            let now = q::import(c, &import.id).await?.ok_or(Error::NotFound)?;
            return match now.status.as_str() {
                "cancelling" => Ok("cancelled"),
                _ => Err(Error::Conflict {
                    code: "import_taken_over",
                    field: None,
                }),
            };
        }
        self.sync_rows(ctx, import, progress).await
    }

    /// Prepares and runs an import to the end (the command line).
    pub async fn import_file(
        &self,
        ctx: &Ctx,
        source: Source,
        file_name: &str,
        data: Vec<u8>,
        progress: impl FnMut(ImportStep, i64, i64) + Send,
    ) -> Result<ImportRow> {
        let prepared = self.prepare_import(ctx, source, file_name, data).await?;
        self.run_import(ctx, prepared, progress).await
    }

    /// Starts an upload's import in the background and returns it at once (the API and the
    /// page). The file is kept under the files directory until the import has finished, so
    /// an import interrupted by a restart resumes ([`Pintu::resume_imports`]).
    pub async fn start_import(
        &self,
        ctx: &Ctx,
        source: Source,
        file_name: &str,
        data: Vec<u8>,
    ) -> Result<ImportRow> {
        let prepared = self.prepare_import(ctx, source, file_name, data).await?;
        let import = prepared.import.clone();
        if import.status == "done" {
            return Ok(import);
        }
        let path = self.import_file_path(&import.id);
        if !path.exists() {
            write_atomically(&path, &prepared.data)
                .map_err(|e| Error::Internal(anyhow::anyhow!("keeping the upload: {e}")))?;
        }
        self.spawn_import(ctx.clone(), prepared);
        Ok(import)
    }

    /// Resumes the imports a stop interrupted (called when the server starts). Returns how
    /// many were resumed.
    pub async fn resume_imports(&self) -> Result<usize> {
        let unfinished = q::unfinished_imports(self.store.conn()).await?;
        let mut resumed = 0;
        for import in unfinished {
            let path = self.import_file_path(&import.id);
            let Ok(data) = std::fs::read(&path) else {
                tracing::warn!(import = %import.id, "an unfinished import's file is gone; import it again to resume");
                continue;
            };
            let source = Source::parse(&import.source)
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("import source")))?;
            let header = {
                let mut reader = csv_reader(&data);
                let names: Vec<String> = reader
                    .headers()
                    .map(|h| h.iter().map(str::to_string).collect())
                    .unwrap_or_default();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                Header::parse(source, &refs).map_err(|e| Error::Internal(e.into()))?
            };
            if import.status == "cancelling" {
                q::set_status(self.store.conn(), &import.id, "cancelled", None, Utc::now()).await?;
                continue;
            }
            tracing::info!(import = %import.id, from_row = import.rows_read, "resuming an import");
            self.spawn_import(
                Ctx::system("import-resume"),
                PreparedImport {
                    import,
                    data,
                    header,
                },
            );
            resumed += 1;
        }
        Ok(resumed)
    }

    fn import_file_path(&self, id: &str) -> std::path::PathBuf {
        self.files_dir.join("imports").join(format!("{id}.csv"))
    }

    fn spawn_import(&self, ctx: Ctx, prepared: PreparedImport) {
        let pintu = self.clone();
        tokio::spawn(async move {
            let id = prepared.import.id.clone();
            if let Err(e) = pintu.run_import(&ctx, prepared, |_, _, _| {}).await {
                tracing::error!(import = %id, error = %e, "import failed");
            }
        });
    }

    /// The latest imports the actor may see, newest first.
    pub async fn recent_imports(&self, ctx: &Ctx, limit: u64) -> Result<Vec<ImportRow>> {
        if !ctx.actor.may_import() {
            return Err(Error::Forbidden);
        }
        Ok(q::recent_imports(self.store.conn(), &ctx.actor.scope(), limit.clamp(1, 200)).await?)
    }

    /// An import, if the actor may see it.
    pub async fn import(&self, ctx: &Ctx, id: &str) -> Result<ImportRow> {
        let id = pintu_store::parse_id(id).ok_or(Error::NotFound)?;
        let import = q::import(self.store.conn(), &id)
            .await?
            .ok_or(Error::NotFound)?;
        self.check_import_scope(ctx, &import)?;
        Ok(import)
    }

    /// The rejections and dropped values of an import, in row order.
    pub async fn import_issues(&self, ctx: &Ctx, id: &str) -> Result<Vec<ImportIssue>> {
        let import = self.import(ctx, id).await?;
        Ok(q::issues(self.store.conn(), &import.id).await?)
    }

    /// Asks a running import to stop after its current batch.
    pub async fn cancel_import(&self, ctx: &Ctx, id: &str) -> Result<ImportRow> {
        let import = self.import(ctx, id).await?;
        if !ctx.actor.may_import() {
            return Err(Error::Forbidden);
        }
        if !q::request_cancel(self.store.conn(), &import.id, Utc::now()).await? {
            return Err(Error::Conflict {
                code: "import_not_running",
                field: None,
            });
        }
        self.import(ctx, &import.id).await
    }

    /// An import belongs to the area of the officer who started it: officers see the imports
    /// of their area and below; national officers see all.
    fn check_import_scope(&self, ctx: &Ctx, import: &ImportRow) -> Result<()> {
        let visible = match (ctx.actor.scope(), &import.area_code) {
            (pintu_domain::access::Scope::National, _) => true,
            (pintu_domain::access::Scope::Within(_), None) => false,
            (pintu_domain::access::Scope::Within(home), Some(area)) => {
                AreaCode::parse(area).is_ok_and(|a| home.contains(&a))
            }
        };
        visible.then_some(()).ok_or(Error::NotFound)
    }
}

/// Waits for a batch's write: another run of the same import that took it over is a
/// conflict.
async fn written(write: tokio::task::JoinHandle<Result<bool>>) -> Result<()> {
    match write.await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(Error::Conflict {
            code: "import_taken_over",
            field: None,
        }),
        Ok(Err(e)) => Err(e),
        Err(e) => Err(Error::Internal(anyhow::anyhow!(
            "import batch stopped: {e}"
        ))),
    }
}

/// Writes `data` to `path` through a temporary file and a rename: never half a file.
fn write_atomically(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, data)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn csv_reader(data: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data)
}

fn village_issue(
    rec: &SourceRecord,
    villages: &HashSet<String>,
    scope: &pintu_domain::access::Scope,
) -> Option<RowIssue> {
    let village = rec.village.as_ref()?;
    let code = if !villages.contains(village.as_str()) {
        "village_unknown"
    } else if !scope.allows(village) {
        "village_outside_area"
    } else {
        return None;
    };
    Some(RowIssue {
        column: "village_code".into(),
        code,
    })
}

fn push_issues(out: &mut Vec<ImportIssue>, row_number: i64, issues: Vec<RowIssue>, rejected: bool) {
    out.extend(issues.into_iter().map(|i| ImportIssue {
        row_number,
        column_name: i.column,
        code: i.code.to_string(),
        rejected,
    }));
}

fn new_record(row_number: i64, r: SourceRecord) -> NewSourceRecord {
    NewSourceRecord {
        row_number,
        source_key: r.source_key,
        nik: r.nik.map(|n| n.as_str().to_string()),
        kk_number: r.kk_number.map(|k| k.as_str().to_string()),
        full_name: r.full_name,
        name_key: r.name_key,
        birth_date: r.birth_date,
        sex: r.sex.map(|s| s.code().to_string()),
        relationship: r.relationship.map(|x| x.code().to_string()),
        village_code: r.village.map(|v| v.as_str().to_string()),
        address: r.address,
        rt: r.rt,
        rw: r.rw,
        attributes: serde_json::to_string(&r.attributes).unwrap_or_else(|_| "{}".into()),
    }
}
