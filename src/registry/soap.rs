//! The X-Road Message Protocol for SOAP 4.0, both ways: a request envelope as onestop writes it,
//! the security server's answer or fault as it reads them, and (for the sandbox's emulated
//! security server) the other side: reading a request, writing an answer that echoes its header
//! with `requestHash`, writing a fault.
//!
//! Envelopes are written as the protocol's Annex E shows them: prefixes `soapenv`, `xrd` and
//! `id`, the body element qualified (`ns1`, the service's namespace) and its children
//! unqualified; a reader takes any prefixes, and the body's children qualified or not. A fault's
//! code is kept as written (`SOAP-ENV:Server`, `Server.ServerProxy.AccessDenied`): `faults`
//! classifies it.

use super::xml::{self, Element, XmlError};
use crate::form::Shape;
use serde_json::Value;
use std::fmt::Write;

pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const XROAD: &str = "http://x-road.eu/xsd/xroad.xsd";
pub const IDENTIFIERS: &str = "http://x-road.eu/xsd/identifiers";
pub const PROTOCOL_VERSION: &str = "4.0";
/// The `requestHash` algorithm the emulator uses (as X-Road's security servers do by default).
pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";

/// A subsystem: `<instance>/<member class>/<member code>/<subsystem>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsystem {
    pub instance: String,
    pub member_class: String,
    pub member_code: String,
    pub subsystem: String,
}

/// A service: its provider's subsystem, code and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceId {
    pub provider: Subsystem,
    pub code: String,
    pub version: Option<String>,
}

/// The X-Road header of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub client: Subsystem,
    pub service: ServiceId,
    pub id: String,
    pub user_id: Option<String>,
    pub issue: Option<String>,
    pub protocol_version: String,
    /// Answers only: base64 hash of the request's bytes, and its algorithm URI.
    pub request_hash: Option<(String, String)>,
}

/// A parsed envelope: a message, or a fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Envelope {
    Message { header: Box<Header>, body: Element },
    Fault(Fault),
}

/// A SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: String,
    pub string: String,
    pub detail: Option<String>,
}

impl Subsystem {
    /// `<instance>/<member class>/<member code>/<subsystem>`, each part non-empty.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        match parts.as_slice() {
            [instance, class, code, subsystem]
                if parts
                    .iter()
                    .all(|p| !p.is_empty() && !p.contains(char::is_whitespace)) =>
            {
                Ok(Self {
                    instance: (*instance).to_owned(),
                    member_class: (*class).to_owned(),
                    member_code: (*code).to_owned(),
                    subsystem: (*subsystem).to_owned(),
                })
            }
            _ => Err(format!(
                "\"{text}\" is not <instance>/<member class>/<member code>/<subsystem>"
            )),
        }
    }

    /// `<instance>/<member class>/<member code>/<subsystem>`.
    pub fn path(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.instance, self.member_class, self.member_code, self.subsystem
        )
    }
}

/// The prefix of a body element's namespace (its children are unqualified, as the protocol's
/// examples write them; a reader takes either).
const BODY_PREFIX: &str = "ns1";

/// The request envelope: `header`, and a body element named after the service code in
/// `namespace` whose children are `input` (JSON as XML, `xml`'s rule), unqualified.
pub fn request(header: &Header, namespace: &str, input: &Value) -> String {
    envelope(header, namespace, &header.service.code, input)
}

/// The answer envelope: `header` echoed (with `request_hash` set), and `<{code}Response>` whose
/// children are `outputs` as XML.
pub fn response(header: &Header, namespace: &str, outputs: &Value) -> String {
    let name = format!("{}Response", header.service.code);
    envelope(header, namespace, &name, outputs)
}

fn envelope(header: &Header, namespace: &str, name: &str, children: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV}\" xmlns:xrd=\"{XROAD}\" \
         xmlns:id=\"{IDENTIFIERS}\">"
    );
    write_header(&mut out, header);
    out.push_str("  <soapenv:Body>\n    ");
    let _ = write!(out, "<{BODY_PREFIX}:{name} xmlns:{BODY_PREFIX}=\"");
    xml::escape(&mut out, namespace);
    out.push_str("\">");
    xml::write_children(&mut out, children);
    let _ = writeln!(out, "</{BODY_PREFIX}:{name}>");
    out.push_str("  </soapenv:Body>\n</soapenv:Envelope>\n");
    out
}

/// The X-Road header fields in the protocol's order.
fn write_header(out: &mut String, header: &Header) {
    out.push_str("  <soapenv:Header>\n");
    let client = &header.client;
    out.push_str("    <xrd:client id:objectType=\"SUBSYSTEM\">\n");
    identifier(out, "xRoadInstance", &client.instance);
    identifier(out, "memberClass", &client.member_class);
    identifier(out, "memberCode", &client.member_code);
    identifier(out, "subsystemCode", &client.subsystem);
    out.push_str("    </xrd:client>\n");
    let service = &header.service;
    out.push_str("    <xrd:service id:objectType=\"SERVICE\">\n");
    identifier(out, "xRoadInstance", &service.provider.instance);
    identifier(out, "memberClass", &service.provider.member_class);
    identifier(out, "memberCode", &service.provider.member_code);
    identifier(out, "subsystemCode", &service.provider.subsystem);
    identifier(out, "serviceCode", &service.code);
    if let Some(version) = &service.version {
        identifier(out, "serviceVersion", version);
    }
    out.push_str("    </xrd:service>\n");
    field(out, "id", &header.id);
    if let Some(user) = &header.user_id {
        field(out, "userId", user);
    }
    if let Some(issue) = &header.issue {
        field(out, "issue", issue);
    }
    field(out, "protocolVersion", &header.protocol_version);
    if let Some((hash, algorithm)) = &header.request_hash {
        out.push_str("    <xrd:requestHash algorithmId=\"");
        xml::escape(out, algorithm);
        out.push_str("\">");
        xml::escape(out, hash);
        out.push_str("</xrd:requestHash>\n");
    }
    out.push_str("  </soapenv:Header>\n");
}

fn identifier(out: &mut String, name: &str, value: &str) {
    out.push_str("      ");
    element(out, &format!("id:{name}"), value);
}

fn field(out: &mut String, name: &str, value: &str) {
    out.push_str("    ");
    element(out, &format!("xrd:{name}"), value);
}

fn element(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>");
    xml::escape(out, text);
    let _ = writeln!(out, "</{name}>");
}

/// A fault envelope (`detail`, if any, as X-Road's security servers write it: `faultDetail`).
pub fn fault(fault: &Fault) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV}\">");
    out.push_str("  <soapenv:Body>\n    <soapenv:Fault>\n");
    out.push_str("      ");
    element(&mut out, "faultcode", &fault.code);
    out.push_str("      ");
    element(&mut out, "faultstring", &fault.string);
    if let Some(detail) = &fault.detail {
        out.push_str("      <detail>");
        element(&mut out, "faultDetail", detail);
        out.push_str("      </detail>\n");
    }
    out.push_str("    </soapenv:Fault>\n  </soapenv:Body>\n</soapenv:Envelope>\n");
    out
}

/// Read an envelope (a request, an answer or a fault). A message must carry the mandatory
/// header fields (`client`, `service`, `id`, `protocolVersion`), each once; the error says
/// which is missing or repeated. Its body must hold exactly one element.
pub fn parse(bytes: &[u8]) -> Result<Envelope, XmlError> {
    let root = xml::parse(bytes)?;
    if root.name != "Envelope" || root.namespace.as_deref() != Some(SOAP_ENV) {
        return Err(problem(format!(
            "кореневий елемент {} не є конвертом SOAP 1.1",
            root.name
        )));
    }
    let body = only(&root, SOAP_ENV, "Body")?.ok_or_else(|| problem("немає soapenv:Body"))?;
    let [content] = body.children.as_slice() else {
        let found = body.children.len();
        return Err(problem(format!(
            "soapenv:Body має містити один елемент, а містить {found}"
        )));
    };
    if content.name == "Fault" && content.namespace.as_deref() == Some(SOAP_ENV) {
        return Ok(Envelope::Fault(read_fault(content)));
    }
    let empty = Element::default();
    let header = only(&root, SOAP_ENV, "Header")?.unwrap_or(&empty);
    Ok(Envelope::Message {
        header: Box::new(read_header(header)?),
        body: content.clone(),
    })
}

fn problem(text: impl Into<String>) -> XmlError {
    XmlError(text.into())
}

/// The one child `name` in `namespace` (none when absent; two are an error).
fn only<'a>(
    parent: &'a Element,
    namespace: &str,
    name: &str,
) -> Result<Option<&'a Element>, XmlError> {
    let mut found = (parent.children.iter())
        .filter(|c| c.name == name && c.namespace.as_deref() == Some(namespace));
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(problem(format!("{} містить кілька {name}", parent.name))),
        (one, _) => Ok(one),
    }
}

/// The mandatory part `name` of an identifier (`xrd:client`, `xrd:service`), trimmed and not
/// empty.
fn part(identifier: &Element, name: &str) -> Result<String, XmlError> {
    optional(identifier, IDENTIFIERS, name)?
        .ok_or_else(|| problem(format!("у xrd:{} немає id:{name}", identifier.name)))
}

fn optional(parent: &Element, namespace: &str, name: &str) -> Result<Option<String>, XmlError> {
    let found = only(parent, namespace, name)?;
    Ok(found
        .map(|e| e.text.trim().to_owned())
        .filter(|t| !t.is_empty()))
}

fn read_header(header: &Element) -> Result<Header, XmlError> {
    let missing = |name: &str| problem(format!("у заголовку немає xrd:{name}"));
    let client = only(header, XROAD, "client")?.ok_or_else(|| missing("client"))?;
    let service = only(header, XROAD, "service")?.ok_or_else(|| missing("service"))?;
    let id = optional(header, XROAD, "id")?.ok_or_else(|| missing("id"))?;
    let protocol_version =
        optional(header, XROAD, "protocolVersion")?.ok_or_else(|| missing("protocolVersion"))?;
    let request_hash = match only(header, XROAD, "requestHash")? {
        None => None,
        Some(hash) => {
            let algorithm = (hash.attribute("algorithmId"))
                .ok_or_else(|| problem("у xrd:requestHash немає algorithmId"))?;
            let text: String = hash.text.chars().filter(|c| !c.is_whitespace()).collect();
            Some((text, algorithm.to_owned()))
        }
    };
    Ok(Header {
        client: subsystem(client)?,
        service: ServiceId {
            provider: subsystem(service)?,
            code: part(service, "serviceCode")?,
            version: optional(service, IDENTIFIERS, "serviceVersion")?,
        },
        id,
        user_id: optional(header, XROAD, "userId")?,
        issue: optional(header, XROAD, "issue")?,
        protocol_version,
        request_hash,
    })
}

/// The subsystem an identifier (`xrd:client`, or the provider of `xrd:service`) names.
fn subsystem(identifier: &Element) -> Result<Subsystem, XmlError> {
    Ok(Subsystem {
        instance: part(identifier, "xRoadInstance")?,
        member_class: part(identifier, "memberClass")?,
        member_code: part(identifier, "memberCode")?,
        subsystem: part(identifier, "subsystemCode")?,
    })
}

/// A fault's code as written (prefix and all), its string, and its detail's text if any.
fn read_fault(fault: &Element) -> Fault {
    let text = |name: &str| fault.child(name).map(|e| e.text.trim().to_owned());
    let detail = fault
        .child("detail")
        .map(all_text)
        .filter(|d| !d.is_empty());
    Fault {
        code: text("faultcode").unwrap_or_default(),
        string: text("faultstring").unwrap_or_default(),
        detail,
    }
}

/// The text of an element and its descendants, each piece trimmed, joined by spaces.
fn all_text(element: &Element) -> String {
    let mut pieces = Vec::new();
    let mut stack = vec![element];
    while let Some(next) = stack.pop() {
        let own = next.text.trim();
        if !own.is_empty() {
            pieces.push(own.to_owned());
        }
        stack.extend(next.children.iter().rev());
    }
    pieces.join(" ")
}

/// The outputs an answer's body element carries, read by `shape`.
pub fn outputs(body: &Element, shape: &Shape) -> Value {
    xml::to_json(body, shape)
}

#[cfg(test)]
#[path = "soap_tests.rs"]
pub(crate) mod tests;
