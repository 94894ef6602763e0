//! Fraud reports.

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStorage;
use crate::storage::{FraudRepo, FraudReportRecord, StorageError};

#[async_trait]
impl FraudRepo for SqliteStorage {
    async fn put_report(&self, r: &FraudReportRecord) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO fraud_reports (reference, created_at, identity_hash, event_reference, \
             source, contact_email, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.reference)
        .bind(r.created_at)
        .bind(&r.identity_hash)
        .bind(&r.event_reference)
        .bind(&r.source)
        .bind(&r.contact_email)
        .bind(&r.message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn reports(&self, limit: u32) -> Result<Vec<FraudReportRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT reference, created_at, identity_hash, event_reference, source, contact_email, \
             message FROM fraud_reports ORDER BY created_at DESC, reference LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FraudReportRecord {
                    reference: r.try_get("reference")?,
                    created_at: r.try_get("created_at")?,
                    identity_hash: r.try_get("identity_hash")?,
                    event_reference: r.try_get("event_reference")?,
                    source: r.try_get("source")?,
                    contact_email: r.try_get("contact_email")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }
}
