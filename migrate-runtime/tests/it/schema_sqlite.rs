//! The sqlite schema inspector and renderer: its own cases, beyond the
//! shared round trip and drift table of `schema`.
