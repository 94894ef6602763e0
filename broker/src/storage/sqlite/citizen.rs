//! Accounts' state, preferences and devices.

use async_trait::async_trait;
use pivot_proto::citizen::Preferences;
use sqlx::{Row, sqlite::SqliteRow};

use super::SqliteStorage;
use crate::storage::{AccountRecord, CitizenRepo, DeviceRecord, StorageError};

fn account_from_row(r: &SqliteRow) -> Result<AccountRecord, StorageError> {
    let prefs: String = r.try_get("preferences")?;
    Ok(AccountRecord {
        identity_hash: r.try_get("identity_hash")?,
        created_at: r.try_get("created_at")?,
        last_connection: r.try_get("last_connection")?,
        disabled_reason: r.try_get("disabled_reason")?,
        preferences: serde_json::from_str(&prefs)
            .map_err(|e| StorageError::Corrupt(format!("preferences: {e}")))?,
    })
}

fn device_from_row(r: &SqliteRow) -> Result<DeviceRecord, StorageError> {
    Ok(DeviceRecord {
        device_id: r.try_get("device_id")?,
        identity_hash: r.try_get("identity_hash")?,
        label: r.try_get("label")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        trusted_until: r.try_get("trusted_until")?,
    })
}

const ACCOUNT_COLUMNS: &str =
    "identity_hash, created_at, last_connection, disabled_reason, preferences";
const DEVICE_COLUMNS: &str =
    "device_id, identity_hash, label, first_seen, last_seen, trusted_until";

#[async_trait]
impl CitizenRepo for SqliteStorage {
    async fn account(&self, identity_hash: &str) -> Result<Option<AccountRecord>, StorageError> {
        let q = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE identity_hash = ?");
        sqlx::query(&q)
            .bind(identity_hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }

    async fn touch_account(
        &self,
        identity_hash: &str,
        now: i64,
    ) -> Result<AccountRecord, StorageError> {
        let q = format!(
            "INSERT INTO accounts (identity_hash, created_at, last_connection) VALUES (?, ?, ?) \
             ON CONFLICT (identity_hash) DO UPDATE SET last_connection = excluded.last_connection \
             RETURNING {ACCOUNT_COLUMNS}"
        );
        let row = sqlx::query(&q)
            .bind(identity_hash)
            .bind(now)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        account_from_row(&row)
    }

    async fn set_preferences(
        &self,
        identity_hash: &str,
        prefs: &Preferences,
    ) -> Result<bool, StorageError> {
        let json =
            serde_json::to_string(prefs).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let n = sqlx::query("UPDATE accounts SET preferences = ? WHERE identity_hash = ?")
            .bind(json)
            .bind(identity_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn set_disabled(
        &self,
        identity_hash: &str,
        reason: Option<&str>,
    ) -> Result<bool, StorageError> {
        let n = sqlx::query("UPDATE accounts SET disabled_reason = ? WHERE identity_hash = ?")
            .bind(reason)
            .bind(identity_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn device(
        &self,
        device_id: &str,
        identity_hash: &str,
    ) -> Result<Option<DeviceRecord>, StorageError> {
        let q = format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = ? AND identity_hash = ?"
        );
        sqlx::query(&q)
            .bind(device_id)
            .bind(identity_hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(device_from_row)
            .transpose()
    }

    async fn put_device(&self, d: &DeviceRecord) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT OR REPLACE INTO devices \
             (device_id, identity_hash, label, first_seen, last_seen, trusted_until) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&d.device_id)
        .bind(&d.identity_hash)
        .bind(&d.label)
        .bind(d.first_seen)
        .bind(d.last_seen)
        .bind(d.trusted_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn devices(&self, identity_hash: &str) -> Result<Vec<DeviceRecord>, StorageError> {
        let q = format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE identity_hash = ? \
             ORDER BY last_seen DESC, device_id"
        );
        sqlx::query(&q)
            .bind(identity_hash)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(device_from_row)
            .collect()
    }

    async fn delete_device(
        &self,
        identity_hash: &str,
        device_id: &str,
    ) -> Result<bool, StorageError> {
        let n = sqlx::query("DELETE FROM devices WHERE identity_hash = ? AND device_id = ?")
            .bind(identity_hash)
            .bind(device_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn device_identities(&self, device_id: &str) -> Result<Vec<String>, StorageError> {
        let rows = sqlx::query(
            "SELECT identity_hash FROM devices WHERE device_id = ? ORDER BY last_seen DESC",
        )
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("identity_hash").map_err(StorageError::from))
            .collect()
    }
}
