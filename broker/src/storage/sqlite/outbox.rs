//! The durable e-mail outbox.

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStorage;
use crate::storage::{NewMail, OutboxRepo, OutboxRow, OutboxStats, StorageError};

#[async_trait]
impl OutboxRepo for SqliteStorage {
    async fn enqueue_mail(&self, m: &NewMail, now: i64) -> Result<i64, StorageError> {
        let row = sqlx::query(
            "INSERT INTO outbox (kind, recipient, subject, body_text, body_html, next_attempt_at, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&m.kind)
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(&m.text)
        .bind(&m.html)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn due_mails(&self, now: i64, limit: u32) -> Result<Vec<OutboxRow>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, kind, recipient, subject, body_text, body_html, attempts, created_at \
             FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? \
             ORDER BY next_attempt_at, id LIMIT ?",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let text: Option<String> = r.try_get("body_text")?;
                let html: Option<String> = r.try_get("body_html")?;
                let recipient: Option<String> = r.try_get("recipient")?;
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    mail: NewMail {
                        kind: r.try_get("kind")?,
                        recipient: recipient.ok_or_else(|| {
                            StorageError::Corrupt("queued mail without recipient".into())
                        })?,
                        subject: r.try_get("subject")?,
                        text: text.unwrap_or_default(),
                        html: html.unwrap_or_default(),
                    },
                    attempts: r.try_get("attempts")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn mail_sent(&self, id: i64, now: i64) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE outbox SET sent_at = ?, recipient = NULL, body_text = NULL, body_html = NULL, \
             last_error = NULL WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mail_retry(&self, id: i64, next_at: i64, error: &str) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? \
             WHERE id = ?",
        )
        .bind(next_at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mail_failed(&self, id: i64, now: i64, error: &str) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, failed_at = ?, last_error = ?, \
             recipient = NULL, body_text = NULL, body_html = NULL WHERE id = ?",
        )
        .bind(now)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn outbox_stats(&self) -> Result<OutboxStats, StorageError> {
        let r = sqlx::query(
            "SELECT \
             COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
             COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
             COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed \
             FROM outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxStats {
            pending: r.try_get("pending")?,
            sent: r.try_get("sent")?,
            failed: r.try_get("failed")?,
        })
    }
}
