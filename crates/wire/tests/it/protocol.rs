//! The worked examples of docs/design/protocol.md#signature-v1 and #signature-v3, and
//! the verification error paths.

use physconn_wire::sign::{
    sha256_hex, v1_signature, v1_string_to_sign, v3_canonical_request, v3_signature,
    v3_string_to_sign, EMPTY_SHA256,
};
use physconn_wire::{
    decode_form, parse_request, sign_v1, sign_v3, ApiError, ClientCredentials, ClientRequest,
    Format, RawRequest, SignatureScheme,
};

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

const V1_QUERY: &str = "PhysicalConnectionId=pc-test&InstanceChargeType=PrePaid&Period=1&PricingCycle=Month&AutoPay=True&ClientToken=tok-1&Version=2016-04-28&Action=CreatePhysicalConnectionOccupancyOrder&Format=JSON&RegionId=cn-hangzhou&Timestamp=2026-11-29T00%3A19%3A19Z&SignatureMethod=HMAC-SHA1&SignatureType=&SignatureVersion=1.0&SignatureNonce=09579b1db9cbde76fd326cd7fd8e783a&AccessKeyId=testid&Signature=HnaT8xz%2BK0cULx3u8U80t0FoG%2Fc%3D";
const V1_STS: &str = "POST&%2F&AccessKeyId%3Dtestid%26Action%3DCreatePhysicalConnectionOccupancyOrder%26AutoPay%3DTrue%26ClientToken%3Dtok-1%26Format%3DJSON%26InstanceChargeType%3DPrePaid%26Period%3D1%26PhysicalConnectionId%3Dpc-test%26PricingCycle%3DMonth%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D09579b1db9cbde76fd326cd7fd8e783a%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2026-11-29T00%253A19%253A19Z%26Version%3D2016-04-28";

#[test]
fn v1_worked_example() {
    let params = decode_form(V1_QUERY.as_bytes()).unwrap();
    assert_eq!(v1_string_to_sign("POST", &params), V1_STS);
    assert_eq!(
        v1_signature("testsecret", V1_STS),
        "HnaT8xz+K0cULx3u8U80t0FoG/c="
    );

    let raw = RawRequest {
        method: "POST",
        path: "/",
        raw_query: V1_QUERY,
        headers: &[],
        body: b"",
    };
    let parsed = parse_request(&raw).unwrap();
    assert_eq!(
        parsed.action.as_deref(),
        Some("CreatePhysicalConnectionOccupancyOrder")
    );
    assert_eq!(parsed.format, Format::Json);
    assert_eq!(parsed.param("AutoPay"), Some("True"));
    assert_eq!(parsed.param("RegionId"), Some("cn-hangzhou"));
    assert_eq!(parsed.param("SignatureType"), None);
    assert_eq!(parsed.params.len(), 7);
    parsed.verify(&raw, "testsecret").unwrap();
}

#[test]
fn v1_special_characters() {
    let params = owned(&[("Description", "a b*c~d+e/f=g&h 中文")]);
    let sts = v1_string_to_sign("post", &params);
    assert_eq!(
        sts,
        "POST&%2F&Description%3Da%2520b%252Ac~d%252Be%252Ff%253Dg%2526h%2520%25E4%25B8%25AD%25E6%2596%2587"
    );
}

const V3_AUTH: &str = "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=32daa037005c4429e4fb76832ff9aa71960b72f47820221d97d843a67d88259b";
const V3_QUERY: &str = "AutoPay=true&ClientToken=tok-1&InstanceChargeType=PrePaid&Period=1&PhysicalConnectionId=pc-test&PricingCycle=Month&RegionId=cn-hangzhou";

fn v3_headers() -> Vec<(String, String)> {
    owned(&[
        ("host", "127.0.0.1:33647"),
        ("x-acs-version", "2016-04-28"),
        ("x-acs-action", "CreatePhysicalConnectionOccupancyOrder"),
        ("x-acs-date", "2026-11-29T00:19:19Z"),
        (
            "x-acs-signature-nonce",
            "575f0647a129c5eff35e804c36ef6dec79b75ed247c36004ae51ce7385e78e76",
        ),
        ("x-acs-content-sha256", EMPTY_SHA256),
        ("x-acs-credentials-provider", "static_ak"),
        ("Authorization", V3_AUTH),
    ])
}

#[test]
fn v3_worked_example() {
    let headers = v3_headers();
    let signed: Vec<String> = "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version"
        .split(';')
        .map(str::to_owned)
        .collect();
    let query = decode_form(V3_QUERY.as_bytes()).unwrap();
    let cr = v3_canonical_request("POST", "/", &query, &headers, &signed, &sha256_hex(b""));
    assert_eq!(
        cr,
        "POST\n/\nAutoPay=true&ClientToken=tok-1&InstanceChargeType=PrePaid&Period=1&PhysicalConnectionId=pc-test&PricingCycle=Month&RegionId=cn-hangzhou\n\
         host:127.0.0.1:33647\nx-acs-action:CreatePhysicalConnectionOccupancyOrder\n\
         x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
         x-acs-credentials-provider:static_ak\nx-acs-date:2026-11-29T00:19:19Z\n\
         x-acs-signature-nonce:575f0647a129c5eff35e804c36ef6dec79b75ed247c36004ae51ce7385e78e76\n\
         x-acs-version:2016-04-28\n\n\
         host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let sts = v3_string_to_sign(&cr);
    assert_eq!(
        sts,
        "ACS3-HMAC-SHA256\n5006b5c49328fce0adbe529913c46edb68192ba91d4e08161ac54bd34490a169"
    );
    assert_eq!(
        v3_signature("testsecret", &sts),
        "32daa037005c4429e4fb76832ff9aa71960b72f47820221d97d843a67d88259b"
    );

    let raw = RawRequest {
        method: "POST",
        path: "/",
        raw_query: V3_QUERY,
        headers: &headers,
        body: b"",
    };
    let parsed = parse_request(&raw).unwrap();
    assert!(matches!(parsed.scheme, SignatureScheme::V3(_)));
    assert_eq!(parsed.access_key_id.as_deref(), Some("testid"));
    assert_eq!(parsed.timestamp.as_deref(), Some("2026-11-29T00:19:19Z"));
    parsed.verify(&raw, "testsecret").unwrap();
}

#[test]
fn canonical_headers_merge_and_absent() {
    let headers = owned(&[("X-A", " 2 "), ("x-a", "1"), ("Host", "h")]);
    let signed = vec!["host".to_owned(), "x-a".to_owned(), "x-missing".to_owned()];
    let cr = v3_canonical_request("get", "", &[], &headers, &signed, "abc");
    assert_eq!(
        cr,
        "GET\n/\n\nhost:h\nx-a:1,2\nx-missing:\n\nhost;x-a;x-missing\nabc"
    );
}

fn creds(token: Option<&str>) -> ClientCredentials<'_> {
    ClientCredentials {
        access_key_id: "LTAIexample",
        access_key_secret: "s3cret",
        security_token: token,
    }
}

fn raw(req: &ClientRequest) -> RawRequest<'_> {
    RawRequest {
        method: &req.method,
        path: &req.path,
        raw_query: &req.query,
        headers: &req.headers,
        body: &req.body,
    }
}

fn set_header(req: &mut ClientRequest, name: &str, value: &str) {
    for (n, v) in &mut req.headers {
        if n.eq_ignore_ascii_case(name) {
            *v = value.to_owned();
        }
    }
}

fn expect(result: Result<(), ApiError>, code: &str) -> ApiError {
    let err = result.expect_err(code);
    assert_eq!(err.code, code, "{err:?}");
    err
}

#[test]
fn v1_error_paths() {
    let params = owned(&[("RegionId", "cn-hangzhou")]);
    let base = sign_v1(
        &creds(None),
        "h",
        "A",
        "2016-04-28",
        &params,
        false,
        "2026-11-29T00:19:19Z",
        "n",
    );
    parse_request(&raw(&base))
        .unwrap()
        .verify(&raw(&base), "s3cret")
        .unwrap();

    let mut unsigned = base.clone();
    unsigned.query = unsigned
        .query
        .split("&Signature=")
        .next()
        .unwrap()
        .to_owned();
    let p = parse_request(&raw(&unsigned)).unwrap();
    let err = expect(p.verify(&raw(&unsigned), "s3cret"), "IncompleteSignature");
    let sts = p.signing_strings(&raw(&unsigned)).string_to_sign;
    assert!(err
        .message
        .ends_with(&format!("server string to sign is:{sts}")));

    let mut m = base.clone();
    m.query = m
        .query
        .replace("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256");
    expect(
        parse_request(&raw(&m)).unwrap().verify(&raw(&m), "s3cret"),
        "InvalidSignatureMethod",
    );
    let mut v = base.clone();
    v.query = v
        .query
        .replace("SignatureVersion=1.0", "SignatureVersion=2.0");
    expect(
        parse_request(&raw(&v)).unwrap().verify(&raw(&v), "s3cret"),
        "InvalidSignatureVersion",
    );

    let mut tampered = base.clone();
    tampered.query = tampered.query.replace("cn-hangzhou", "cn-beijing");
    expect(
        parse_request(&raw(&tampered))
            .unwrap()
            .verify(&raw(&tampered), "s3cret"),
        "SignatureDoesNotMatch",
    );

    let mut malformed = base.clone();
    malformed.query.push_str("&X=%zz");
    assert_eq!(
        parse_request(&raw(&malformed)).unwrap_err().code,
        "RequestParameterMalformed"
    );

    let mut dup = base.clone();
    dup.query.push_str("&RegionId=cn-beijing");
    let err = parse_request(&raw(&dup)).unwrap_err();
    assert_eq!(err, ApiError::invalid_parameter("RegionId"));

    let mut xml = base;
    xml.query = xml.query.replace("Format=JSON", "Format=xml");
    assert_eq!(parse_request(&raw(&xml)).unwrap().format, Format::Xml);
}

#[test]
fn v1_form_body_and_sts() {
    let params = owned(&[("RegionId", "cn-hangzhou"), ("Tag.1.Key", "a b")]);
    let req = sign_v1(
        &creds(Some("tok/+=")),
        "h",
        "A",
        "2016-04-28",
        &params,
        true,
        "2026-11-29T00:19:19Z",
        "n",
    );
    assert!(!req.body.is_empty());
    let p = parse_request(&raw(&req)).unwrap();
    assert_eq!(p.security_token.as_deref(), Some("tok/+="));
    assert_eq!(p.params, params);
    assert_eq!(p.body_pairs(), &params[..]);
    p.verify(&raw(&req), "s3cret").unwrap();

    // Without the form content type the body is not parameters, so the signature fails.
    let mut no_ct = req.clone();
    no_ct.headers.retain(|(n, _)| n != "content-type");
    let p = parse_request(&raw(&no_ct)).unwrap();
    assert!(p.params.is_empty());
    expect(p.verify(&raw(&no_ct), "s3cret"), "SignatureDoesNotMatch");

    let mut bad_body = req;
    bad_body.body = b"a=%E4".to_vec();
    assert_eq!(
        parse_request(&raw(&bad_body)).unwrap_err().code,
        "RequestParameterMalformed"
    );
}

#[test]
fn v3_error_paths() {
    let params = owned(&[("RegionId", "cn-hangzhou"), ("Name", "x y")]);
    let base = sign_v3(
        &creds(Some("sts")),
        "h:1",
        "A",
        "2016-04-28",
        &params,
        true,
        "2026-11-29T00:19:19Z",
        "n",
    );
    let p = parse_request(&raw(&base)).unwrap();
    assert_eq!(p.security_token.as_deref(), Some("sts"));
    assert_eq!(p.nonce.as_deref(), Some("n"));
    p.verify(&raw(&base), "s3cret").unwrap();

    let mut body = base.clone();
    body.body = b"RegionId=cn-beijing&Name=x+y".to_vec();
    expect(
        parse_request(&raw(&body))
            .unwrap()
            .verify(&raw(&body), "s3cret"),
        "SignatureDoesNotMatch",
    );

    let mut alg = base.clone();
    let auth = alg
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .unwrap()
        .1
        .clone();
    set_header(
        &mut alg,
        "Authorization",
        &auth.replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3"),
    );
    expect(
        parse_request(&raw(&alg))
            .unwrap()
            .verify(&raw(&alg), "s3cret"),
        "InvalidSignatureMethod",
    );

    let mut missing = base.clone();
    set_header(
        &mut missing,
        "Authorization",
        &auth.replace("x-acs-date;", ""),
    );
    let p = parse_request(&raw(&missing)).unwrap();
    let err = expect(p.verify(&raw(&missing), "s3cret"), "IncompleteSignature");
    assert!(err
        .message
        .ends_with(&p.signing_strings(&raw(&missing)).string_to_sign));

    let mut garbage = base.clone();
    set_header(&mut garbage, "Authorization", "ACS3-HMAC-SHA256 nonsense");
    let err = parse_request(&raw(&garbage)).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.status),
        ("IncompleteSignature", 400)
    );

    // A client that signs a wrong x-acs-content-sha256 but hashes the real body: the
    // signature matches, the header check catches it.
    let wrong_hash = "0".repeat(64);
    let mut hdr = base.clone();
    set_header(&mut hdr, "x-acs-content-sha256", &wrong_hash);
    let mut signed: Vec<String> = hdr
        .headers
        .iter()
        .filter(|(n, _)| n != "Authorization")
        .map(|(n, _)| n.clone())
        .collect();
    signed.sort();
    let cr = v3_canonical_request(
        "POST",
        "/",
        &[],
        &hdr.headers,
        &signed,
        &sha256_hex(&hdr.body),
    );
    let sig = v3_signature("s3cret", &v3_string_to_sign(&cr));
    set_header(
        &mut hdr,
        "Authorization",
        &format!(
            "ACS3-HMAC-SHA256 Credential=LTAIexample,SignedHeaders={},Signature={sig}",
            signed.join(";")
        ),
    );
    let err = expect(
        parse_request(&raw(&hdr))
            .unwrap()
            .verify(&raw(&hdr), "s3cret"),
        "InvalidParameter",
    );
    assert_eq!(err, ApiError::invalid_parameter("x-acs-content-sha256"));

    // Non-ACS3 Authorization headers are ignored: the request is V1.
    let mut other = base;
    set_header(&mut other, "Authorization", "Bearer x");
    let p = parse_request(&raw(&other)).unwrap();
    assert!(matches!(
        p.scheme,
        SignatureScheme::V1 {
            signature: None,
            ..
        }
    ));
    expect(p.verify(&raw(&other), "s3cret"), "IncompleteSignature");
}
