//! Online public services: the commune's procedure catalogue, citizens' dossiers and the
//! electronic one-stop desk that runs them (requirements B1, B2; Appendix I indicators 1.1, 1.2).

pub mod calendar;
pub mod vietqr;
