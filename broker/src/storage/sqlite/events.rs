//! The event log.

use async_trait::async_trait;
use pivot_proto::{citizen::EventCode, eidas::Eidas};
use sqlx::{QueryBuilder, Row, Sqlite, sqlite::SqliteRow};

use super::SqliteStorage;
use crate::storage::{EventFilter, EventRecord, EventRepo, StorageError};

const COLUMNS: &str = "reference, at, code, identity_hash, session_ref, client_id, client_name, \
                       fi_id, acr, data, details";

fn event_from_row(r: &SqliteRow) -> Result<EventRecord, StorageError> {
    let code: String = r.try_get("code")?;
    let acr: Option<String> = r.try_get("acr")?;
    let data: String = r.try_get("data")?;
    Ok(EventRecord {
        reference: r.try_get("reference")?,
        at: r.try_get("at")?,
        code: EventCode::parse(&code)
            .ok_or_else(|| StorageError::Corrupt(format!("event code {code}")))?,
        identity_hash: r.try_get("identity_hash")?,
        session_ref: r.try_get("session_ref")?,
        client_id: r.try_get("client_id")?,
        client_name: r.try_get("client_name")?,
        fi_id: r.try_get("fi_id")?,
        acr: acr
            .map(|a| {
                a.parse::<Eidas>()
                    .map_err(|_| StorageError::Corrupt(format!("event acr {a}")))
            })
            .transpose()?,
        data: serde_json::from_str(&data)
            .map_err(|e| StorageError::Corrupt(format!("event data: {e}")))?,
        details: r.try_get("details")?,
    })
}

#[async_trait]
impl EventRepo for SqliteStorage {
    async fn record_event(&self, e: &EventRecord) -> Result<(), StorageError> {
        let data =
            serde_json::to_string(&e.data).map_err(|err| StorageError::Corrupt(err.to_string()))?;
        sqlx::query(
            "INSERT INTO events (reference, at, code, identity_hash, session_ref, client_id, \
             client_name, fi_id, acr, data, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.reference)
        .bind(e.at)
        .bind(e.code.as_str())
        .bind(&e.identity_hash)
        .bind(&e.session_ref)
        .bind(&e.client_id)
        .bind(&e.client_name)
        .bind(&e.fi_id)
        .bind(e.acr.map(Eidas::as_str))
        .bind(data)
        .bind(&e.details)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn citizen_events(
        &self,
        identity_hash: &str,
        codes: &[EventCode],
        since: i64,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StorageError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM events WHERE identity_hash = "
        ));
        q.push_bind(identity_hash);
        q.push(" AND at >= ").push_bind(since);
        q.push(" AND code IN (");
        let mut sep = q.separated(", ");
        for c in codes {
            sep.push_bind(c.as_str());
        }
        q.push(") ORDER BY at DESC, seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    async fn events(&self, f: &EventFilter) -> Result<Vec<EventRecord>, StorageError> {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM events WHERE 1 = 1"));
        if let Some(c) = f.code {
            q.push(" AND code = ").push_bind(c.as_str());
        }
        if let Some(h) = &f.identity_hash {
            q.push(" AND identity_hash = ").push_bind(h.clone());
        }
        if let Some(r) = &f.reference {
            q.push(" AND reference = ").push_bind(r.clone());
        }
        if let Some(c) = &f.client_id {
            q.push(" AND client_id = ").push_bind(c.clone());
        }
        if let Some(t) = f.since {
            q.push(" AND at >= ").push_bind(t);
        }
        if let Some(t) = f.until {
            q.push(" AND at < ").push_bind(t);
        }
        q.push(" ORDER BY at DESC, seq DESC LIMIT ")
            .push_bind(i64::from(f.limit.max(1)));
        q.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }
}
