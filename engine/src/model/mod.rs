//! Trained models (docs/models.md): what each AFD model type learns from an event, training
//! on stored events, scores 0-1000 tied to false positive rates, and explanations.
//!
//! INTERFACE SKELETON (owned by the model helper; the pgrx layer codes against it).

pub mod gbdt;
