//! Server-side templates (minijinja), embedded in the binary.
//!
//! Each area of the crate contributes a `TEMPLATES` list of
//! `(name, source)` pairs; they are merged here into one environment so that
//! every page extends the same DSFR layout.

use std::sync::Arc;

use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

/// Templates shared by every server: the DSFR page layout.
const COMMON: &[(&str, &str)] = &[("layout.html", include_str!("../../templates/layout.html"))];

/// A cheaply clonable, immutable template environment.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

/// Error raised when a template cannot be rendered (a programming error).
#[derive(Debug, thiserror::Error)]
#[error("template error: {0}")]
pub struct TemplateError(#[from] minijinja::Error);

impl Templates {
    /// Builds the environment from the common layout and the given lists.
    ///
    /// # Errors
    /// Fails when a template does not parse.
    pub fn new(lists: &[&[(&'static str, &'static str)]]) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in COMMON.iter().chain(lists.iter().flat_map(|l| l.iter())) {
            env.add_template(name, source)?;
        }
        Ok(Self { env: Arc::new(env) })
    }

    /// Renders a page.
    ///
    /// # Errors
    /// Fails when the template is missing or the context lacks a variable.
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<Html<String>, TemplateError> {
        let tmpl = self.env.get_template(name)?;
        Ok(Html(tmpl.render(ctx)?))
    }
}
