//! Working days in Vietnam: weekends, public holidays (solar and lunar), per-year configuration.
