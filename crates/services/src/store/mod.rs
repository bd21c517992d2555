//! Every query of the services room (queries only: the rules are the use cases' in
//! `actions`): the catalogue, dossiers and the desk inbox, the writes of workflow steps, and
//! tracking.

pub mod dossiers;
pub mod procedures;
pub mod steps;
pub mod track;

pub use dossiers::*;
pub use procedures::*;
pub use steps::*;
pub use track::*;
