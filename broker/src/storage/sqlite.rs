//! SQLite storage through `sqlx`, the embedded default. The citizen-space
//! repositories live in the submodules, one file each.

mod citizen;
mod events;
mod fraud;
mod outbox;

use std::str::FromStr;

use async_trait::async_trait;
use sqlx::{
    Row,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow},
};

use pivot_proto::data::{DataRequest, DataScope};

use super::{
    AccountRepo, ClientAuthMethod, ClientRecord, ClientRepo, ClientRole, CodeRedemption, CodeRow,
    EncryptionAlg, GrantRepo, RefreshRedemption, RefreshRow, SessionRepo, SigningAlg, Storage,
    StorageError, TokenRow,
};

/// SQLite-backed storage.
#[derive(Clone, Debug)]
pub struct SqliteStorage {
    pool: SqlitePool,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or
    /// `sqlite::memory:`) and runs the migrations.
    ///
    /// # Errors
    /// Fails when the file cannot be opened or a migration fails.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        // An in-memory database lives per connection: keep exactly one, and
        // never let the pool retire it (idle timeout, max lifetime), or the
        // next connection would open a new, empty database.
        let pool = if url.contains(":memory:") {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(8)
        };
        let pool = pool.connect_with(opts).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }
}

fn json_list(v: &[String]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

fn parse_list(s: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(e.to_string()))
}

fn client_from_row(r: &SqliteRow) -> Result<ClientRecord, StorageError> {
    let method: String = r.try_get("auth_method")?;
    let alg: String = r.try_get("id_token_alg")?;
    let ui_alg: Option<String> = r.try_get("userinfo_alg")?;
    let jwks: Option<String> = r.try_get("jwks")?;
    Ok(ClientRecord {
        client_id: r.try_get("client_id")?,
        entity_id: r.try_get("entity_id")?,
        name: r.try_get("name")?,
        secret_hash: r.try_get("secret_hash")?,
        auth_method: ClientAuthMethod::parse(&method)
            .ok_or_else(|| StorageError::Corrupt(format!("auth method {method}")))?,
        jwks: jwks
            .map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?,
        redirect_uris: parse_list(&r.try_get::<String, _>("redirect_uris")?)?,
        post_logout_redirect_uris: parse_list(
            &r.try_get::<String, _>("post_logout_redirect_uris")?,
        )?,
        scopes: parse_list(&r.try_get::<String, _>("scopes")?)?,
        id_token_alg: SigningAlg::parse(&alg)
            .ok_or_else(|| StorageError::Corrupt(format!("alg {alg}")))?,
        userinfo_alg: ui_alg.as_deref().and_then(SigningAlg::parse),
        public_service: r.try_get::<i64, _>("public_service")? != 0,
        created_at: r.try_get("created_at")?,
        jwks_uri: r.try_get("jwks_uri")?,
        encryption_alg: match r.try_get::<Option<String>, _>("encryption_alg")? {
            Some(a) => Some(
                EncryptionAlg::parse(&a)
                    .ok_or_else(|| StorageError::Corrupt(format!("encryption alg {a}")))?,
            ),
            None => None,
        },
        fi_allow: r
            .try_get::<Option<String>, _>("fi_allow")?
            .map(|l| parse_list(&l))
            .transpose()?,
        fi_deny: parse_list(&r.try_get::<String, _>("fi_deny")?)?,
        role: {
            let role: String = r.try_get("role")?;
            ClientRole::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("role {role}")))?
        },
        provided: Vec::new(),
    })
}

impl SqliteStorage {
    /// Fills in the data scopes of a data provider.
    async fn with_provided(&self, mut c: ClientRecord) -> Result<ClientRecord, StorageError> {
        if c.role == ClientRole::DataProvider {
            let rows = sqlx::query(
                "SELECT scope, label FROM data_scopes WHERE provider_id = ? ORDER BY position",
            )
            .bind(&c.client_id)
            .fetch_all(&self.pool)
            .await?;
            c.provided = rows
                .iter()
                .map(|r| {
                    Ok(DataScope {
                        scope: r.try_get("scope")?,
                        label: r.try_get("label")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()?;
        }
        Ok(c)
    }
}

fn conflict_or(e: sqlx::Error, what: &str) -> StorageError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StorageError::Conflict(what.to_owned())
        }
        _ => StorageError::Database(e),
    }
}

#[async_trait]
impl ClientRepo for SqliteStorage {
    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StorageError> {
        let row = sqlx::query("SELECT * FROM clients WHERE client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        match row.as_ref().map(client_from_row).transpose()? {
            Some(c) => Ok(Some(self.with_provided(c).await?)),
            None => Ok(None),
        }
    }

    async fn put_client(&self, c: &ClientRecord) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM data_scopes WHERE provider_id = ?")
            .bind(&c.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT OR REPLACE INTO clients (client_id, entity_id, name, secret_hash, auth_method, jwks, \
             redirect_uris, post_logout_redirect_uris, scopes, id_token_alg, userinfo_alg, public_service, created_at, \
             jwks_uri, encryption_alg, fi_allow, fi_deny, role) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.client_id)
        .bind(&c.entity_id)
        .bind(&c.name)
        .bind(&c.secret_hash)
        .bind(c.auth_method.as_str())
        .bind(c.jwks.as_ref().map(ToString::to_string))
        .bind(json_list(&c.redirect_uris))
        .bind(json_list(&c.post_logout_redirect_uris))
        .bind(json_list(&c.scopes))
        .bind(c.id_token_alg.as_str())
        .bind(c.userinfo_alg.map(SigningAlg::as_str))
        .bind(i64::from(c.public_service))
        .bind(c.created_at)
        .bind(&c.jwks_uri)
        .bind(c.encryption_alg.map(EncryptionAlg::as_str))
        .bind(c.fi_allow.as_deref().map(json_list))
        .bind(json_list(&c.fi_deny))
        .bind(c.role.as_str())
        .execute(&mut *tx)
        .await?;
        if c.role == ClientRole::DataProvider {
            for (position, d) in (0_i64..).zip(&c.provided) {
                sqlx::query(
                    "INSERT INTO data_scopes (scope, provider_id, label, position) VALUES (?, ?, ?, ?)",
                )
                .bind(&d.scope)
                .bind(&c.client_id)
                .bind(&d.label)
                .bind(position)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    conflict_or(
                        e,
                        &format!("data scope {} is served by another provider", d.scope),
                    )
                })?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn clients(&self) -> Result<Vec<ClientRecord>, StorageError> {
        let rows = sqlx::query("SELECT * FROM clients ORDER BY client_id")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.with_provided(client_from_row(r)?).await?);
        }
        Ok(out)
    }

    async fn data_catalogue(&self) -> Result<Vec<DataRequest>, StorageError> {
        let rows = sqlx::query(
            "SELECT d.scope, d.label, d.provider_id, c.name FROM data_scopes d \
             JOIN clients c ON c.client_id = d.provider_id ORDER BY d.provider_id, d.position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DataRequest {
                    scope: r.try_get("scope")?,
                    label: r.try_get("label")?,
                    provider_id: r.try_get("provider_id")?,
                    provider_name: r.try_get("name")?,
                })
            })
            .collect()
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError> {
        let r = sqlx::query("DELETE FROM clients WHERE client_id = ?")
            .bind(client_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }
}

#[async_trait]
impl SessionRepo for SqliteStorage {
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Vec<u8>>, StorageError> {
        let row = sqlx::query("SELECT data FROM sessions WHERE id_hash = ? AND expires_at > ?")
            .bind(id_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("data")).transpose()?)
    }

    async fn put_session(
        &self,
        id_hash: &str,
        data: &[u8],
        expires_at: i64,
    ) -> Result<(), StorageError> {
        sqlx::query("INSERT OR REPLACE INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?)")
            .bind(id_hash)
            .bind(data)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl GrantRepo for SqliteStorage {
    async fn put_code(&self, c: &CodeRow) -> Result<(), StorageError> {
        sqlx::query("INSERT INTO codes (code_hash, grant_id, client_id, data, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&c.code_hash)
            .bind(&c.grant_id)
            .bind(&c.client_id)
            .bind(&c.data)
            .bind(c.expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn redeem_code(&self, code_hash: &str, now: i64) -> Result<CodeRedemption, StorageError> {
        // One statement marks the code used only if it was not: the winner
        // of a race gets the row back, everybody else sees it used.
        let fresh = sqlx::query(
            "UPDATE codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? \
             RETURNING code_hash, grant_id, client_id, data, expires_at",
        )
        .bind(now)
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = fresh {
            return Ok(CodeRedemption::Fresh(CodeRow {
                code_hash: r.try_get("code_hash")?,
                grant_id: r.try_get("grant_id")?,
                client_id: r.try_get("client_id")?,
                data: r.try_get("data")?,
                expires_at: r.try_get("expires_at")?,
            }));
        }
        let used =
            sqlx::query("SELECT grant_id FROM codes WHERE code_hash = ? AND used_at IS NOT NULL")
                .bind(code_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match used {
            Some(r) => CodeRedemption::Replayed {
                grant_id: r.try_get("grant_id")?,
            },
            None => CodeRedemption::Invalid,
        })
    }

    async fn put_token(&self, t: &TokenRow) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, grant_id, client_id, data, issued_at, expires_at, revoked, dpop_jkt) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.grant_id)
        .bind(&t.client_id)
        .bind(&t.data)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(i64::from(t.revoked))
        .bind(&t.dpop_jkt)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>, StorageError> {
        let row = sqlx::query("SELECT * FROM access_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TokenRow {
                token_hash: r.try_get("token_hash")?,
                grant_id: r.try_get("grant_id")?,
                client_id: r.try_get("client_id")?,
                data: r.try_get("data")?,
                issued_at: r.try_get("issued_at")?,
                expires_at: r.try_get("expires_at")?,
                revoked: r.try_get::<i64, _>("revoked")? != 0,
                dpop_jkt: r.try_get("dpop_jkt")?,
            })
        })
        .transpose()
    }

    async fn revoke_token(&self, token_hash: &str, client_id: &str) -> Result<bool, StorageError> {
        let r = sqlx::query(
            "UPDATE access_tokens SET revoked = 1 WHERE token_hash = ? AND client_id = ?",
        )
        .bind(token_hash)
        .bind(client_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn revoke_grant(&self, grant_id: &str) -> Result<u64, StorageError> {
        // A code or refresh token of the grant not yet used can no longer be.
        for table in ["codes", "refresh_tokens"] {
            let q =
                format!("UPDATE {table} SET used_at = 0 WHERE grant_id = ? AND used_at IS NULL");
            sqlx::query(&q).bind(grant_id).execute(&self.pool).await?;
        }
        let r = sqlx::query("UPDATE access_tokens SET revoked = 1 WHERE grant_id = ?")
            .bind(grant_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn put_refresh(&self, t: &RefreshRow) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, data, dpop_jkt, issued_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.grant_id)
        .bind(&t.client_id)
        .bind(&t.data)
        .bind(&t.dpop_jkt)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn use_refresh(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<RefreshRedemption, StorageError> {
        let fresh = sqlx::query(
            "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL \
             AND expires_at > ? \
             RETURNING token_hash, grant_id, client_id, data, dpop_jkt, issued_at, expires_at",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = fresh {
            return Ok(RefreshRedemption::Fresh(RefreshRow {
                token_hash: r.try_get("token_hash")?,
                grant_id: r.try_get("grant_id")?,
                client_id: r.try_get("client_id")?,
                data: r.try_get("data")?,
                dpop_jkt: r.try_get("dpop_jkt")?,
                issued_at: r.try_get("issued_at")?,
                expires_at: r.try_get("expires_at")?,
            }));
        }
        let used = sqlx::query(
            "SELECT grant_id FROM refresh_tokens WHERE token_hash = ? AND used_at IS NOT NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match used {
            Some(r) => RefreshRedemption::Reused {
                grant_id: r.try_get("grant_id")?,
            },
            None => RefreshRedemption::Invalid,
        })
    }

    async fn refresh_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(String, String)>, StorageError> {
        let r = sqlx::query("SELECT grant_id, client_id FROM refresh_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| Ok((r.try_get("grant_id")?, r.try_get("client_id")?)))
            .transpose()
    }

    async fn record_jti(&self, jti: &str, expires_at: i64) -> Result<bool, StorageError> {
        let r = sqlx::query("INSERT OR IGNORE INTO assertion_jtis (jti, expires_at) VALUES (?, ?)")
            .bind(jti)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}

#[async_trait]
impl AccountRepo for SqliteStorage {
    async fn stored_sub(
        &self,
        identity_hash: &str,
        entity_id: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String, StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO accounts (identity_hash, created_at, last_connection) VALUES (?, ?, ?) \
             ON CONFLICT (identity_hash) DO UPDATE SET last_connection = excluded.last_connection",
        )
        .bind(identity_hash)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO account_subs (identity_hash, entity_id, sub) VALUES (?, ?, ?)",
        )
        .bind(identity_hash)
        .bind(entity_id)
        .bind(candidate)
        .execute(&mut *tx)
        .await?;
        let sub: String =
            sqlx::query("SELECT sub FROM account_subs WHERE identity_hash = ? AND entity_id = ?")
                .bind(identity_hash)
                .bind(entity_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("sub")?;
        tx.commit().await?;
        Ok(sub)
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn purge_expired(&self, now: i64) -> Result<u64, StorageError> {
        let mut n = 0;
        for table in [
            "sessions",
            "codes",
            "access_tokens",
            "assertion_jtis",
            "refresh_tokens",
        ] {
            let q = format!("DELETE FROM {table} WHERE expires_at <= ?");
            n += sqlx::query(&q)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        // Accounts unused for three years go with everything keyed by them
        // (subs and devices by cascade).
        let stale = now - super::ACCOUNT_TTL_SECS;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM events WHERE identity_hash IN \
             (SELECT identity_hash FROM accounts WHERE last_connection <= ?)",
        )
        .bind(stale)
        .execute(&mut *tx)
        .await?;
        n += sqlx::query("DELETE FROM accounts WHERE last_connection <= ?")
            .bind(stale)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        n += sqlx::query("DELETE FROM events WHERE at <= ?")
            .bind(now - super::EVENT_RETENTION_SECS)
            .execute(&self.pool)
            .await?
            .rows_affected();
        // Trust past its 90 days is simply not honoured; the device row
        // stays for the citizen's list until the account goes.
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> SqliteStorage {
        SqliteStorage::open("sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn memory_database_connection_is_never_retired() {
        let s = store().await;
        let o = s.pool.options();
        assert_eq!((o.get_min_connections(), o.get_max_connections()), (1, 1));
        assert_eq!(
            o.get_idle_timeout(),
            None,
            "an idle close would drop the database"
        );
        assert_eq!(
            o.get_max_lifetime(),
            None,
            "a recycled connection would be an empty database"
        );
    }

    fn code(hash: &str, exp: i64) -> CodeRow {
        CodeRow {
            code_hash: hash.into(),
            grant_id: "g1".into(),
            client_id: "c1".into(),
            data: vec![1, 2, 3],
            expires_at: exp,
        }
    }

    #[tokio::test]
    async fn code_is_single_use_and_replay_names_grant() {
        let s = store().await;
        s.put_code(&code("h", 100)).await.unwrap();
        assert!(matches!(
            s.redeem_code("h", 50).await.unwrap(),
            CodeRedemption::Fresh(_)
        ));
        match s.redeem_code("h", 51).await.unwrap() {
            CodeRedemption::Replayed { grant_id } => assert_eq!(grant_id, "g1"),
            other => panic!("expected replay, got {other:?}"),
        }
        assert!(matches!(
            s.redeem_code("nope", 50).await.unwrap(),
            CodeRedemption::Invalid
        ));
    }

    #[tokio::test]
    async fn expired_code_is_invalid() {
        let s = store().await;
        s.put_code(&code("h", 100)).await.unwrap();
        assert!(matches!(
            s.redeem_code("h", 100).await.unwrap(),
            CodeRedemption::Invalid
        ));
    }

    #[tokio::test]
    async fn stored_sub_wins_over_new_candidate() {
        let s = store().await;
        assert_eq!(s.stored_sub("ih", "e", "first", 1).await.unwrap(), "first");
        assert_eq!(s.stored_sub("ih", "e", "second", 2).await.unwrap(), "first");
        assert_eq!(s.stored_sub("ih", "e2", "other", 3).await.unwrap(), "other");
    }

    #[tokio::test]
    async fn revoke_grant_and_purge() {
        let s = store().await;
        let t = TokenRow {
            token_hash: "t".into(),
            grant_id: "g".into(),
            client_id: "c".into(),
            data: vec![],
            issued_at: 0,
            expires_at: 10,
            revoked: false,
            dpop_jkt: None,
        };
        s.put_token(&t).await.unwrap();
        assert!(!s.revoke_token("t", "other-client").await.unwrap());
        assert_eq!(s.revoke_grant("g").await.unwrap(), 1);
        assert!(s.token("t").await.unwrap().unwrap().revoked);
        assert!(s.record_jti("j", 10).await.unwrap());
        assert!(!s.record_jti("j", 10).await.unwrap());
        assert_eq!(s.purge_expired(11).await.unwrap(), 2);
        assert!(s.token("t").await.unwrap().is_none());
    }

    fn event(hash: &str, at: i64) -> crate::storage::EventRecord {
        crate::storage::EventRecord {
            reference: format!("ref-{hash}-{at}"),
            at,
            code: pivot_proto::citizen::EventCode::FcRedirectedToSp,
            identity_hash: Some(hash.into()),
            session_ref: None,
            client_id: Some("fs".into()),
            client_name: Some("Service".into()),
            fi_id: Some("impots".into()),
            acr: Some(pivot_proto::eidas::Eidas::Eidas1),
            data: Vec::new(),
            details: None,
        }
    }

    #[tokio::test]
    async fn accounts_unused_for_three_years_go_with_their_records() {
        use crate::storage::{
            ACCOUNT_TTL_SECS, CitizenRepo, DeviceRecord, EVENT_RETENTION_SECS, EventFilter,
            EventRepo,
        };
        let s = store().await;
        // Given an account last used at t=1000 with a sub, a device and an
        // event, and one used at t=2000,
        s.stored_sub("old", "fs", "sub-old", 1000).await.unwrap();
        s.put_device(&DeviceRecord {
            device_id: "d".into(),
            identity_hash: "old".into(),
            label: "Firefox sur Linux".into(),
            first_seen: 1000,
            last_seen: 1000,
            trusted_until: None,
        })
        .await
        .unwrap();
        s.record_event(&event("old", 1000)).await.unwrap();
        s.touch_account("recent", 2000).await.unwrap();
        // when three years pass after the first (events still retained),
        let now = 1000 + ACCOUNT_TTL_SECS;
        const { assert!(ACCOUNT_TTL_SECS > EVENT_RETENTION_SECS) };
        s.purge_expired(now).await.unwrap();
        // then it is gone with its sub, device and events; the other stays.
        assert!(s.account("old").await.unwrap().is_none());
        assert!(s.devices("old").await.unwrap().is_empty());
        let q = sqlx::query("SELECT COUNT(*) AS n FROM account_subs WHERE identity_hash = 'old'")
            .fetch_one(&s.pool)
            .await
            .unwrap();
        assert_eq!(q.get::<i64, _>("n"), 0);
        assert!(
            s.events(&EventFilter {
                identity_hash: Some("old".into()),
                limit: 10,
                ..EventFilter::default()
            })
            .await
            .unwrap()
            .is_empty()
        );
        assert!(s.account("recent").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn events_outlive_six_months_for_operators_but_not_their_retention() {
        use crate::storage::{CitizenRepo, EVENT_RETENTION_SECS, EventFilter, EventRepo};
        let s = store().await;
        s.touch_account("h", 10).await.unwrap();
        s.record_event(&event("h", 10)).await.unwrap();
        s.record_event(&event("h", 500)).await.unwrap();
        s.touch_account("h", 10 + EVENT_RETENTION_SECS)
            .await
            .unwrap();
        s.purge_expired(10 + EVENT_RETENTION_SECS).await.unwrap();
        let left = s
            .events(&EventFilter {
                limit: 10,
                ..EventFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].at, 500);
    }

    #[tokio::test]
    async fn preferences_and_the_disabled_flag_round_trip() {
        use crate::storage::CitizenRepo;
        let s = store().await;
        assert!(!s.set_disabled("nobody", Some("x")).await.unwrap());
        let a = s.touch_account("h", 5).await.unwrap();
        assert_eq!(a.preferences, pivot_proto::citizen::Preferences::default());
        let prefs = pivot_proto::citizen::Preferences {
            blocked_fis: vec!["ameli".into()],
            connection_alerts: false,
        };
        assert!(s.set_preferences("h", &prefs).await.unwrap());
        assert!(s.set_disabled("h", Some("fraude")).await.unwrap());
        let a = s.touch_account("h", 6).await.unwrap();
        assert_eq!(a.preferences, prefs);
        assert_eq!(a.disabled_reason.as_deref(), Some("fraude"));
        assert_eq!((a.created_at, a.last_connection), (5, 6));
    }
}
