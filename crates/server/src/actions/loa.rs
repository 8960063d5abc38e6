//! The letter-of-authorization sub-flow (docs/design/circuits.md#loa):
//! ApplyPhysicalConnectionLOA / SecondApplyPhysicalConnectionLOA (`Applying`;
//! the provider approves → `Available`), CompletePhysicalConnectionLOA
//! (`Completing`), DescribePhysicalConnectionLOA; ConfirmPhysicalConnection
//! then makes it `Complete`.

use super::params::Params;
use super::{client_token, idempotent_write, read, require_region, scoped_circuit, CallCtx, Reply};
use crate::simulator;
use physconn_domain::TimerKind;
use physconn_domain::{Circuit, DomainError, Loa, LoaStatus, PmInfo, Status};
use physconn_store::{OpResult, TxOps};
use physconn_wire::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
struct Done {}

/// Every LOA call names the circuit `InstanceId`.
fn target(p: &Params) -> Result<(String, String), ApiError> {
    p.required("RegionId")?;
    let id = p.required("InstanceId")?.to_string();
    let region = require_region(p, DomainError::RegionNotFound)?.to_string();
    Ok((region, id))
}

fn illegal(code: ErrorCode, what: &str) -> ApiError {
    ApiError::with_args(code, &[&format!("The param of {what} is illegal.")])
}

/// Loads the caller's circuit; an unknown one is `InvalidInstanceId.NotFound`.
async fn circuit(tx: &mut dyn TxOps, account: &str, region: &str, id: &str) -> OpResult<Circuit> {
    scoped_circuit(
        tx,
        account,
        region,
        id,
        DomainError::InstanceNotFound(id.to_string()),
    )
    .await
}

fn parse_loa(p: &Params) -> Result<Loa, ApiError> {
    let company = p.required("CompanyName")?;
    let line_type = p.required("LineType")?;
    let si = p.required("Si")?;
    let construction = p.required("ConstructionTime")?;
    if !physconn_domain::validate::free_text(company, 128) {
        return Err(illegal(ErrorCode::IllegalParamCompanyName, "CompanyName"));
    }
    if !matches!(line_type, "MSTP" | "MPLSVPN" | "FIBRE" | "Other" | "SDH") {
        return Err(illegal(ErrorCode::IllegalParamLineType, "LineType"));
    }
    if !physconn_domain::validate::free_text(si, 128) {
        return Err(illegal(ErrorCode::IllegalParamSi, "Si"));
    }
    // Exactly `YYYY-MM-DDThh:mm:ssZ`: no fraction, no offset.
    if construction.len() != 20 || physconn_wire::parse_timestamp(construction).is_err() {
        return Err(ApiError::with_args(
            ErrorCode::InvalidConstructionTimeMalformed,
            &["The ConstructionTime must be YYYY-MM-DDThh:mm:ssZ."],
        ));
    }
    let bandwidth = match p.non_empty("Bandwidth") {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|b| (2..=10240).contains(b))
                .ok_or_else(|| ApiError::new(ErrorCode::IllegalParamBandwidth))?,
        ),
    };
    let peer_location = p.str("PeerLocation").unwrap_or("").to_string();
    if !physconn_domain::validate::free_text(&peer_location, 256) {
        return Err(illegal(ErrorCode::IllegalParamPeerLocation, "PeerLocation"));
    }
    let mut pm_info = Vec::new();
    let entries = p.list("PMInfo")?;
    if entries.len() > 16 {
        return Err(ApiError::invalid_parameter("PMInfo"));
    }
    for (_, n) in entries {
        let f = |k: &str| n.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let pm = PmInfo {
            name: f("PMName"),
            gender: f("PMGender"),
            certificate_type: f("PMCertificateType"),
            certificate_no: f("PMCertificateNo"),
            contact_info: f("PMContactInfo"),
        };
        if !pm.certificate_type.is_empty()
            && !matches!(pm.certificate_type.as_str(), "IDCard" | "Passport")
        {
            return Err(illegal(
                ErrorCode::IllegalParamPmCertificateType,
                "PMCertificateType",
            ));
        }
        if !pm.gender.is_empty() && !matches!(pm.gender.as_str(), "Male" | "Female") {
            return Err(illegal(ErrorCode::IllegalParamPmGender, "PMGender"));
        }
        pm_info.push(pm);
    }
    Ok(Loa {
        company_name: company.to_string(),
        line_type: line_type.to_string(),
        si: si.to_string(),
        construction_time: construction.to_string(),
        bandwidth,
        peer_location,
        pm_info,
        ..Loa::default()
    })
}

async fn apply_common(ctx: &CallCtx, p: &Params, second: bool) -> Result<Reply, ApiError> {
    let (region, id) = target(p)?;
    let loa = Arc::new(parse_loa(p)?);
    let token = client_token(p)?;
    let (st, account, now) = (ctx.state.clone(), ctx.account_id.clone(), ctx.now);
    let _: Done = idempotent_write(ctx, token, move |tx| {
        let (st, account, region, id, loa) = (
            st.clone(),
            account.clone(),
            region.clone(),
            id.clone(),
            loa.clone(),
        );
        Box::pin(async move {
            let mut c = circuit(tx, &account, &region, &id).await?;
            if !matches!(
                c.status,
                Status::Initial | Status::Approved | Status::Allocating | Status::Allocated
            ) {
                return Err(DomainError::IncorrectCircuitStatus.into());
            }
            let allowed = matches!(
                (c.loa_status, second),
                (None, false) | (Some(LoaStatus::Rejected), _)
            );
            if !allowed {
                let state = c.loa_status.map(|s| s.as_str()).unwrap_or("none");
                return Err(DomainError::LoaStatusNotAllowed(format!(
                    "The LOA status {state} does not allow this operation."
                ))
                .into());
            }
            c.loa = Some((*loa).clone());
            c.loa_status = Some(LoaStatus::Applying);
            tx.update_circuit(&c).await?;
            simulator::schedule_next(tx, &st, &c, TimerKind::Loa, now, now).await?;
            Ok(Done {})
        })
    })
    .await?;
    simulator::after_write(&ctx.state, ctx.steps).await;
    Ok(Reply::standard(ctx, vec![]))
}

pub async fn apply(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    apply_common(ctx, p, false).await
}

pub async fn second_apply(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    apply_common(ctx, p, true).await
}

pub async fn complete(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (region, id) = target(p)?;
    let token = client_token(p)?;
    let field = |k: &str, max: usize, code: ErrorCode| -> Result<Option<String>, ApiError> {
        match p.str(k) {
            None => Ok(None),
            Some(v) if physconn_domain::validate::free_text(v, max) => Ok(Some(v.to_string())),
            Some(_) => Err(ApiError::with_args(code, &[&format!("{k} is illegal.")])),
        }
    };
    let line_code = field("LineCode", 128, ErrorCode::IllegalParamLineCode)?;
    let line_label = field("LineLabel", 128, ErrorCode::IllegalParamLineLabel)?;
    let contact = field(
        "LineSPContactInfo",
        128,
        ErrorCode::IllegalParamLineSPContactInfo,
    )?;
    let provider = p.non_empty("LineServiceProvider").map(str::to_string);
    if let Some(sp) = &provider {
        if !matches!(
            sp.as_str(),
            "中国电信" | "中国联通" | "中国移动" | "中国其他"
        ) {
            return Err(ApiError::invalid_parameter("LineServiceProvider"));
        }
    }
    p.bool("FinishWork")?;
    let fields = Arc::new((line_code, line_label, contact, provider));
    let (account, now) = (ctx.account_id.clone(), ctx.now);
    let _ = now;
    let _: Done = idempotent_write(ctx, token, move |tx| {
        let (account, region, id, fields) =
            (account.clone(), region.clone(), id.clone(), fields.clone());
        Box::pin(async move {
            let mut c = circuit(tx, &account, &region, &id).await?;
            if !matches!(
                c.loa_status,
                Some(LoaStatus::Available) | Some(LoaStatus::Complete)
            ) {
                return Err(DomainError::LoaNotCompletable.into());
            }
            let loa = c.loa.get_or_insert_with(Loa::default);
            let (code, label, contact, provider) = &*fields;
            if let Some(v) = code {
                loa.line_code = v.clone();
            }
            if let Some(v) = label {
                loa.line_label = v.clone();
            }
            if let Some(v) = contact {
                loa.line_sp_contact_info = v.clone();
            }
            if let Some(v) = provider {
                loa.line_service_provider = v.clone();
            }
            c.loa_status = Some(LoaStatus::Completing);
            tx.update_circuit(&c).await?;
            Ok(Done {})
        })
    })
    .await?;
    Ok(Reply::standard(ctx, vec![]))
}

pub async fn describe(ctx: &CallCtx, p: &Params) -> Result<Reply, ApiError> {
    let (region, id) = target(p)?;
    let account = ctx.account_id.clone();
    let c = read(ctx, move |tx| {
        let (account, region, id) = (account.clone(), region.clone(), id.clone());
        Box::pin(async move { circuit(tx, &account, &region, &id).await })
    })
    .await?;
    let (Some(status), Some(loa)) = (c.loa_status, c.loa.as_ref()) else {
        return Err(crate::errors::from_domain(
            &DomainError::LoaStatusNotAllowed(format!("No LOA has been applied for {}.", c.id)),
        ));
    };
    let pm: Vec<Value> = loa
        .pm_info
        .iter()
        .map(|m| {
            json!({"PMName": m.name, "PMGender": m.gender, "PMCertificateType": m.certificate_type,
                   "PMCertificateNo": m.certificate_no, "PMContactInfo": m.contact_info})
        })
        .collect();
    let body = json!({
        "InstanceId": c.id,
        "Status": status.as_str(),
        "CompanyName": loa.company_name,
        "CompanyLocalizedName": loa.company_name,
        "ConstructionTime": loa.construction_time,
        "LineCode": loa.line_code,
        "LineLabel": loa.line_label,
        "LineSPContactInfo": loa.line_sp_contact_info,
        "LineServiceProvider": loa.line_service_provider,
        "LineType": loa.line_type,
        "LoaUrl": loa.loa_url,
        "SI": loa.si,
        "Description": "",
        "PMInfo": { "PMInfo": pm },
    });
    Ok(Reply::standard(
        ctx,
        vec![("PhysicalConnectionLOAType", body)],
    ))
}
