//! The register's refusals: each a stable code and kind, mapped once to `AppError`. The cell
//! faults of an import (`columns::Fault`) use the `household_*` codes as well, so every reason
//! a row is refused has its Vietnamese and English text.

kernel::refusals! {
    /// No such household in this commune.
    HouseholdUnknown = "household_unknown", NotFound;
    /// A village head asked for a household outside their village.
    HouseholdOtherVillage = "household_other_village", Forbidden;
    HouseholdCodeInvalid = "household_code_invalid", Invalid;
    /// The signed-in person's phone is on no household of the commune.
    HouseholdNotYours = "household_not_yours", NotFound;
    ChangeEmpty = "change_empty", Invalid;
    ChangeUnknown = "change_unknown", NotFound;
    ChangeDecided = "change_decided", Conflict;
    /// A refusal says why.
    ChangeAnswerRequired = "change_answer_required", Invalid;
    /// A household merged into itself.
    HouseholdMergeSelf = "household_merge_self", Invalid;
    /// The same household code on two rows of one file (both refused).
    HouseholdCodeTwice = "household_code_twice", Invalid;
    HouseholdHeadInvalid = "household_head_invalid", Invalid;
    HouseholdBirthYearInvalid = "household_birth_year_invalid", Invalid;
    HouseholdMembersInvalid = "household_members_invalid", Invalid;
    HouseholdCountInvalid = "household_count_invalid", Invalid;
    HouseholdTextTooLong = "household_text_too_long", Invalid;
    HouseholdSexInvalid = "household_sex_invalid", Invalid;
    HouseholdNationalIdInvalid = "household_national_id_invalid", Invalid;
    HouseholdPhoneInvalid = "household_phone_invalid", Invalid;
    HouseholdPovertyInvalid = "household_poverty_invalid", Invalid;
    HouseholdLocationInvalid = "household_location_invalid", Invalid;
    HouseholdLocationOutside = "household_location_outside", Invalid;
    HouseholdVillageUnknown = "household_village_unknown", Invalid;
    HouseholdInternetInvalid = "household_internet_invalid", Invalid;
    HouseholdYesNoInvalid = "household_yes_no_invalid", Invalid;
    /// A row CSV could not read (an unclosed quote).
    ImportRowUnreadable = "import_row_unreadable", Invalid;
    /// Not CSV, XLSX or ODS.
    ImportNotSpreadsheet = "import_not_spreadsheet", Invalid;
    ImportEmpty = "import_empty", Invalid;
    ImportUnknownColumns = "import_unknown_columns", Invalid;
    ImportMissingColumns = "import_missing_columns", Invalid;
    ImportColumnTwice = "import_column_twice", Invalid;
    /// No such upload in this commune.
    ImportUnknown = "import_unknown", NotFound;
    /// Only a file whose preview is ready can be written.
    ImportNotPreviewed = "import_not_previewed", Conflict;
    ImportMappingHeaderInvalid = "import_mapping_header_invalid", Invalid;
    /// Not a field of the register (nor `ignore`).
    ImportMappingFieldUnknown = "import_mapping_field_unknown", Invalid;
    ImportMappingUnknown = "import_mapping_unknown", NotFound;
    /// Only a file refused for its columns is read again (once a mapping says how).
    ImportNotRereadable = "import_not_rereadable", Conflict;
    /// Personal data leaves the register only with a reason (audited).
    ExportReasonRequired = "export_reason_required", Invalid;
    SensorDeviceInvalid = "sensor_device_invalid", Invalid;
    SensorNameInvalid = "sensor_name_invalid", Invalid;
    SensorKindUnknown = "sensor_kind_unknown", Invalid;
    /// A threshold outside what the kind of sensor can measure.
    SensorThresholdInvalid = "sensor_threshold_invalid", Invalid;
    SensorSilentInvalid = "sensor_silent_invalid", Invalid;
    SensorExists = "sensor_exists", Conflict;
    SensorUnknown = "sensor_unknown", NotFound;
    SensorResolutionUnknown = "sensor_resolution_unknown", Invalid;
    /// A device without its token, or with another one.
    SensorTokenInvalid = "sensor_token_invalid", Forbidden;
    ReadingInvalid = "reading_invalid", Invalid;
    ReadingTimeInvalid = "reading_time_invalid", Invalid;
    ReadingsTooMany = "readings_too_many", Invalid;
    /// Outside what the kind of sensor can measure: a broken or spoofed device.
    ReadingOutOfRange = "reading_out_of_range", Invalid;
    PointKindUnknown = "infra_kind_unknown", Invalid;
    PointNameInvalid = "infra_name_invalid", Invalid;
    PointStatusUnknown = "infra_status_unknown", Invalid;
    PointUnknown = "infra_unknown", NotFound;
    CoverageInvalid = "coverage_invalid", Invalid;
    VillageUnknown = "coverage_village_unknown", NotFound;
    /// Not a layer of the commune map.
    LayerUnknown = "map_layer_unknown", NotFound;
    SurveyKindUnknown = "survey_kind_unknown", Invalid;
    SurveyTitleInvalid = "survey_title_invalid", Invalid;
    /// Closing before opening, or opening more than a year away.
    SurveyDatesInvalid = "survey_dates_invalid", Invalid;
    SurveyUnknown = "survey_unknown", NotFound;
    /// A closed campaign takes no more sheets.
    SurveyClosed = "survey_closed", Conflict;
    /// A sheet answers a question its campaign does not ask.
    SurveyQuestionUnknown = "survey_question_unknown", Invalid;
    SurveyAnswerMissing = "survey_answer_missing", Invalid;
    SurveyAnswerInvalid = "survey_answer_invalid", Invalid;
    /// A sheet names no household, official or business (as its campaign asks).
    SurveySubjectMissing = "survey_subject_missing", Invalid;
    /// Not one of the commune's staff.
    SurveyOfficialUnknown = "survey_official_unknown", Invalid;
    SurveyBusinessInvalid = "survey_business_invalid", Invalid;
    /// A village head files their own village's businesses.
    SurveyOtherVillage = "survey_other_village", Forbidden;
    /// The day of the visit: not in the future, not before the campaign opened.
    SurveyDayInvalid = "survey_day_invalid", Invalid;
}

pub type ActionError = kernel::actions::Failure<Refusal>;
pub type ActionResult<T> = Result<T, ActionError>;
