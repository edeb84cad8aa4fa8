//! The web layer's error: each service error is mapped once to a status code and a stable
//! snake_case code. Internal errors are logged with the request id and shown generically.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pintu_service::Error;
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{Lang, Tr};

/// Every error code the product can return: each must be translated (a test checks).
pub const ERROR_CODES: &[&str] = &[
    "required",
    "too_long",
    "name_invalid",
    "sex_invalid",
    "date_invalid",
    "date_in_future",
    "date_too_old",
    "nik_wrong_length",
    "nik_not_digits",
    "nik_unknown_province",
    "nik_zero_area",
    "nik_impossible_birth_date",
    "nik_zero_serial",
    "kk_wrong_length",
    "kk_not_digits",
    "kk_unknown_province",
    "kk_impossible_issue_date",
    "kk_zero_serial",
    "area_code_empty",
    "area_code_malformed",
    "village_required",
    "village_unknown",
    "area_unknown",
    "rt_rw_invalid",
    "phone_invalid",
    "relationship_invalid",
    "members_required",
    "too_many_members",
    "head_required",
    "one_head_only",
    "nik_repeated",
    "nik_already_registered",
    "kk_already_registered",
    "username_taken",
    "already_exists",
    "not_found",
    "forbidden",
    "unauthenticated",
    "too_many_attempts",
    "internal",
    "malformed_json",
    "malformed_request",
    "body_too_large",
    "unsupported_media_type",
    "validation_failed",
    "csrf_invalid",
    "query_too_short",
    "cursor_invalid",
    "limit_invalid",
    "person_not_alive",
    "person_has_no_household",
    "birth_before_parent",
    "death_before_birth",
    "same_village",
    "only_head_moves_household",
    "household_unknown",
    "nik_cannot_be_removed",
    "username_invalid",
    "role_invalid",
    "area_required",
    "area_level_mismatch",
    "national_role_has_no_area",
    "password_too_short",
    "area_has_no_villages",
    "method_not_allowed",
    "nik_sex_mismatch",
    "nik_birth_date_mismatch",
    "nik_area_mismatch",
    "file_not_utf8",
    "file_empty",
    "file_missing_column",
    "file_duplicate_column",
    "row_wrong_cell_count",
    "row_unreadable",
    "village_code_invalid",
    "village_outside_area",
    "value_not_allowed",
    "decile_invalid",
    "number_invalid",
    "import_taken_over",
    "import_not_running",
    "source_unknown",
    "status_unknown",
    "decision_unknown",
    "decision_not_allowed",
    "conflict_already_decided",
    "duplicate_already_decided",
    "keep_not_in_pair",
    "channel_unknown",
    "category_unknown",
    "contact_required",
    "complainant_not_found",
    "unit_unknown",
    "resolution_unknown",
    "acknowledgement_unknown",
    "action_unknown",
    "filter_unknown",
    "complaint_at_top_level",
    "assign_only_at_district",
    "consensus_only_at_village",
    "complaint_not_open",
    "complaint_not_resolved",
    "complaint_still_open",
    "reopen_window_passed",
    "complaint_changed",
    "callback_already_done",
    "outcome_unknown",
    "attachment_too_large",
    "attachment_type",
    "too_many_attachments",
    "correction_needs_wrong_data",
    "field_not_correctable",
    "person_not_found",
    "value_unchanged",
    "value_invalid",
    "period_invalid",
    "dimension_unknown",
    "text_invalid",
    // matching: the village forum's decisions
    "reason_required",
    "person_unknown",
    "programme_not_in_area",
    "override_already_revoked",
    "print_area_too_large",
    // programmes
    "programme_code_invalid",
    "guarantee_unknown",
    "kind_unknown",
    "target_unknown",
    "benefit_period_unknown",
    "amount_negative",
    "programme_area_level",
    "need_invalid",
    "too_many_documents",
    "too_many_codes",
    "dates_out_of_order",
    "programme_refers_to_itself",
    "programme_unknown",
    "programme_changed",
    "programme_code_taken",
    "rule_invalid",
    "effective_date_past",
    "code_cannot_change",
    "quota_area_outside_programme",
    "rule_kind_unknown",
    "catalogue_invalid",
    // applications
    "programme_inactive",
    "application_exists",
    "already_enrolled",
    "application_closed",
    "application_step_not_allowed",
    "application_changed",
    "documents_not_checked",
    "document_too_large",
    "document_type",
    "too_many_application_documents",
    "requirement_unknown",
    "document_already_checked",
    "application_documents_closed",
    "application_reason_required",
    // inbound SMS
    "sms_inbound_disabled",
    "signature_invalid",
    "signature_expired",
    "sms_replayed",
    // delivery reports
    "message_unknown",
    "message_being_sent",
    "gateway_id_ambiguous",
    "area_not_village",
    "no_list_for_area",
    // cases
    "need_unknown",
    "needs_required",
    "case_exists",
    "case_closed",
    "referral_unknown",
    "too_many_steps",
    "step_status_unchanged",
    "step_already_finished",
    "call_reason_unknown",
    // the resident's door
    "login_code_wrong",
    "login_code_expired",
    "change_request_same",
    "change_request_no_household",
    "change_request_kind_unknown",
    "change_request_pending",
    "change_request_decided",
    "change_request_reason_required",
    "programme_only_for_agency",
    "too_many_questions",
    "complaint_not_found",
    "complaint_not_exclusion",
    "complaint_person_mismatch",
    // JKN membership
    "segment_unknown",
    "class_invalid",
    "fktp_unknown",
    "fktp_same",
    "fktp_change_too_soon",
    "exception_unknown",
    "jkn_member_exists",
    "jkn_member_changed",
    "card_number_invalid",
    "facilities_invalid",
    "value_out_of_range",
    "no_rule_in_force",
    // the public check
    "age_out_of_range",
    "household_size_out_of_range",
    "members_exceed_household",
    "no_other_member",
    "payments_disabled",
    "channel_invalid",
    "va_invalid",
    "va_unknown",
    "amount_invalid",
    "reference_invalid",
    "idempotency_key_invalid",
    "idempotency_conflict",
    "nothing_to_deposit",
    "statement_header_invalid",
    "statement_line_invalid",
    "statement_empty",
    "exception_resolved",
    "upload_failed",
    "amount_not_bill",
    "bill_paid",
    // e-wallet auto-debit
    "debit_mandate_exists",
    "debit_mandate_none",
    "debit_mandate_not_pending",
    "debit_code_wrong",
    "debit_code_expired",
    "debit_not_applicable",
    "wallet_unknown",
    "debit_unknown",
    "amount_not_debit",
    "debit_status_invalid",
    // BPJS Ketenagakerjaan
    "npp_invalid",
    "npp_taken",
    "kpj_invalid",
    "kpj_taken",
    "kpj_mismatch",
    "risk_class_invalid",
    "employer_unknown",
    "worker_already_registered",
    "registration_overlaps",
    "worker_id_invalid",
    "worker_not_registered",
    "worker_repeated",
    "wages_period_paid",
    "period_in_future",
    "too_many_rows",
    "bpu_already_registered",
    "bpu_period_paid",
    "npp_only_for_employer",
    "registration_ended",
    "reported_after_end",
    "end_reason_invalid",
    "end_before_start",
    "search_name_or_kpj",
];

/// `{"error": {"code": "...", "message": "...", "field": "..."}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `nik_wrong_length`.
    pub code: String,
    /// A human-readable message in the request's language (Accept-Language: id or en).
    pub message: String,
    /// The first field at fault, e.g. `members[0].nik`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorOut>,
    /// The request id, to quote when reporting an internal error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `rule_invalid`: every error of the rule (or ranking order), with where it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_errors: Vec<RuleErrorOut>,
}

/// An error in a rule's text: a stable code, where it is, and what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleErrorOut {
    /// `unexpected_character`, `unterminated_string`, `unexpected_token`, `unexpected_end`,
    /// `unknown_field`, `unknown_function`, `wrong_arguments`, `type_mismatch`,
    /// `not_boolean`, `too_long`, `too_deep`, `number_too_large`, `unknown_variable`,
    /// `empty_rule` or `not_numeric`.
    pub code: String,
    /// 1-based line and column (in characters) where it starts.
    pub line: usize,
    pub column: usize,
    /// The byte range in the text.
    pub start: usize,
    pub end: usize,
    /// In the request's language.
    pub message: String,
}

impl RuleErrorOut {
    pub fn of(e: &pintu_domain::rules::RuleError, lang: Lang) -> RuleErrorOut {
        RuleErrorOut {
            code: e.code.to_string(),
            line: e.line,
            column: e.column,
            start: e.span.start,
            end: e.span.end,
            message: match lang {
                Lang::Id => e.message_id.clone(),
                Lang::En => e.message_en.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorOut {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An error on its way to becoming a JSON response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub fields: Vec<(String, &'static str)>,
    pub lang: Lang,
    pub request_id: Option<String>,
    pub retry_after: Option<u64>,
    pub rule_errors: Vec<pintu_domain::rules::RuleError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> ApiError {
        ApiError {
            status,
            code,
            field: None,
            fields: vec![],
            lang: Lang::En,
            request_id: None,
            retry_after: None,
            rule_errors: vec![],
        }
    }

    pub fn with_lang(mut self, lang: Lang) -> ApiError {
        self.lang = lang;
        self
    }

    pub fn with_request_id(mut self, id: Option<String>) -> ApiError {
        self.request_id = id;
        self
    }

    /// Maps a service error. Records outside the caller's area are reported as not found.
    pub fn from_service(err: Error) -> ApiError {
        match err {
            Error::Invalid(inv) => {
                let fields: Vec<(String, &'static str)> =
                    inv.0.into_iter().map(|e| (e.field, e.code)).collect();
                let (field, code) = fields
                    .first()
                    .map(|(f, c)| (Some(f.clone()), *c))
                    .unwrap_or((None, "validation_failed"));
                ApiError {
                    field,
                    fields,
                    ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
                }
            }
            Error::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found"),
            Error::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden"),
            Error::Unauthenticated => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::Conflict { code, field } => ApiError {
                field,
                ..ApiError::new(StatusCode::CONFLICT, code)
            },
            Error::Rule { field, errors } => ApiError {
                field: Some(field.to_string()),
                fields: vec![(field.to_string(), "rule_invalid")],
                rule_errors: errors,
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rule_invalid")
            },
            Error::TooManyAttempts { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            },
            Error::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let tr = Tr::new(self.lang);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: tr.error(self.code),
                field: self.field,
                fields: self
                    .fields
                    .into_iter()
                    .map(|(field, code)| FieldErrorOut {
                        message: tr.error(code),
                        field,
                        code: code.to_string(),
                    })
                    .collect(),
                request_id: self.request_id,
                rule_errors: self
                    .rule_errors
                    .iter()
                    .map(|e| RuleErrorOut::of(e, self.lang))
                    .collect(),
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = secs.to_string().parse()
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}
