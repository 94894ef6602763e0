//! The citizen's history: their connections and the data checks made with
//! their tokens over the last six months, from the event log. Only events
//! keyed by the citizen's own identity hash are read.

use pivot_proto::citizen::{
    EventCode, HISTORY_WINDOW_SECS, HistoryEntry, HistoryKind, HistoryPage,
};

use crate::{error::BrokerError, state::AppState, storage::EventRecord};

/// Most entries in one answer (six months of daily use fit).
pub const MAX_HISTORY: u32 = 500;

/// Narrowing of the history (the app's filters).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryFilter {
    /// Only this kind.
    #[serde(default)]
    pub kind: Option<HistoryKind>,
    /// Only services whose name contains this (case-insensitive).
    #[serde(default)]
    pub service: Option<String>,
    /// Only this identity provider (id).
    #[serde(default)]
    pub fi: Option<String>,
    /// From (Unix seconds; never before six months ago).
    #[serde(default)]
    pub since: Option<i64>,
    /// Until (Unix seconds, exclusive).
    #[serde(default)]
    pub until: Option<i64>,
}

impl AppState {
    /// The history entry of one event.
    fn entry(&self, e: EventRecord) -> Option<HistoryEntry> {
        let kind = e.code.history_kind()?;
        let fi_name = e.fi_id.as_deref().map(|id| self.fis.name(id));
        let data_provider = match kind {
            HistoryKind::DataCheck => e.data.first().map(|d| d.provider.clone()),
            HistoryKind::Connection => None,
        };
        Some(HistoryEntry {
            reference: e.reference,
            kind,
            at: e.at,
            service: e.client_name.or(e.client_id).unwrap_or_default(),
            identity_provider: fi_name,
            acr: e.acr,
            data: e.data,
            data_provider,
        })
    }

    /// The citizen's history, newest first.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn history(
        &self,
        identity_hash: &str,
        filter: &HistoryFilter,
    ) -> Result<HistoryPage, BrokerError> {
        let window = self.now() - HISTORY_WINDOW_SECS;
        let since = filter.since.map_or(window, |s| s.max(window));
        let codes: Vec<EventCode> = match filter.kind {
            Some(k) => vec![k.code()],
            None => vec![EventCode::FcRedirectedToSp, EventCode::FdCheckedToken],
        };
        let events = self
            .store
            .citizen_events(identity_hash, &codes, since, MAX_HISTORY)
            .await?;
        let service = filter.service.as_deref().map(str::to_lowercase);
        let entries = events
            .into_iter()
            .filter(|e| filter.until.is_none_or(|u| e.at < u))
            .filter(|e| {
                filter
                    .fi
                    .as_deref()
                    .is_none_or(|f| e.fi_id.as_deref() == Some(f))
            })
            .filter_map(|e| self.entry(e))
            .filter(|e| {
                service
                    .as_deref()
                    .is_none_or(|s| e.service.to_lowercase().contains(s))
            })
            .collect();
        Ok(HistoryPage { entries, since })
    }

    /// One of the citizen's own history entries, by reference.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn history_entry(
        &self,
        identity_hash: &str,
        reference: &str,
    ) -> Result<Option<HistoryEntry>, BrokerError> {
        let page = self
            .history(identity_hash, &HistoryFilter::default())
            .await?;
        Ok(page.entries.into_iter().find(|e| e.reference == reference))
    }
}
