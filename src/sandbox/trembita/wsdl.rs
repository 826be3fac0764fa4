//! `GET /trembita/wsdl/{service id}` (onestop's service id, e.g. `civil.birth-registration`):
//! the service's WSDL 1.1, document/literal wrapped, as an X-Road provider publishes it. The
//! schema in `wsdl:types` declares the request element `{code}` from the input form (the fields
//! its shape lets through, typed from the form's schema where it says so inline, else text) and
//! `{code}Response` from the output schema (or `ResultCode`/`ResultData`/`ResultMessage` for a
//! wrapped answer); the messages carry the `xrd:` header parts, the binding names the service's
//! `xrd:version`, and `soap:address` is this security server's `POST /trembita`.

use super::super::rest::absolute;
use super::super::{Sandbox, error};
use crate::bundle::Service;
use crate::bundle::trembita::TrembitaService;
use crate::form::{Leaf, Shape};
use crate::registry::soap::XROAD;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use std::fmt::Write;

/// The header parts every X-Road message carries, in the order X-Road's WSDLs list them.
const HEADER_PARTS: [&str; 6] = [
    "client",
    "service",
    "userId",
    "id",
    "issue",
    "protocolVersion",
];

/// How deep nested fields are declared (a shape deeper than this is declared as any content).
const DEPTH: usize = 16;

pub(super) async fn wsdl(
    sandbox: web::Data<Sandbox>,
    path: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let found = sandbox.catalog.service_any(&path);
    let Some((service, trembita)) = found.and_then(|s| Some((s, s.trembita.as_ref()?))) else {
        let message = format!("послуга {path} не оголошена в Трембіті");
        return error(StatusCode::NOT_FOUND, "", &message);
    };
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(definitions(service, trembita, &absolute(&req, "/trembita")))
}

/// The WSDL of `service`, whose security server is at `address`.
pub(super) fn definitions(service: &Service, trembita: &TrembitaService, address: &str) -> String {
    let namespace = escape(&trembita.namespace(service.id.as_str()));
    let code = &trembita.service;
    let name = &trembita.subsystem;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" \
         xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" \
         xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:xrd=\"{XROAD}\" \
         xmlns:tns=\"{namespace}\" name=\"{name}\" targetNamespace=\"{namespace}\">"
    );
    types(&mut out, service, trembita, &namespace);
    messages(&mut out, code);
    let _ = writeln!(
        out,
        "<wsdl:portType name=\"{name}PortType\"><wsdl:operation name=\"{code}\">\
         <wsdl:input message=\"tns:{code}\"/><wsdl:output message=\"tns:{code}Response\"/>\
         </wsdl:operation></wsdl:portType>"
    );
    binding(&mut out, trembita);
    let _ = write!(
        out,
        "<wsdl:service name=\"{name}Service\"><wsdl:port binding=\"tns:{name}Binding\" \
         name=\"{name}Port\"><soap:address location=\"{}\"/></wsdl:port></wsdl:service>\n\
         </wsdl:definitions>\n",
        escape(address)
    );
    out
}

fn types(out: &mut String, service: &Service, trembita: &TrembitaService, namespace: &str) {
    let code = &trembita.service;
    let _ = write!(
        out,
        "<wsdl:types><xs:schema elementFormDefault=\"qualified\" targetNamespace=\"{namespace}\">\n\
         <xs:import namespace=\"{XROAD}\" schemaLocation=\"{XROAD}\"/>\n\
         <xs:element name=\"{code}\"><xs:complexType><xs:sequence>\n"
    );
    for (field, shape) in &service.input.shapes {
        let schema = service.input.properties.get(field);
        let required = service.input.required.contains(field);
        element(out, field, schema, shape, required, 0);
    }
    let _ = write!(
        out,
        "</xs:sequence></xs:complexType></xs:element>\n\
         <xs:element name=\"{code}Response\"><xs:complexType><xs:sequence>\n"
    );
    match trembita.answer.as_ref() {
        Some(answer) => {
            let _ = write!(
                out,
                "<xs:element name=\"{}\" type=\"xs:int\"/>\n\
                 <xs:element name=\"{}\" type=\"xs:base64Binary\" minOccurs=\"0\"/>\n\
                 <xs:element name=\"{}\" type=\"xs:string\" minOccurs=\"0\"/>\n",
                escape(&answer.code),
                escape(&answer.data),
                escape(&answer.message)
            );
        }
        None => fields(out, Some(&service.outputs), &service.output_shape, 0),
    }
    out.push_str("</xs:sequence></xs:complexType></xs:element>\n</xs:schema></wsdl:types>\n");
}

fn messages(out: &mut String, code: &str) {
    out.push_str("<wsdl:message name=\"requestheader\">");
    for part in HEADER_PARTS {
        let _ = write!(out, "<wsdl:part name=\"{part}\" element=\"xrd:{part}\"/>");
    }
    let _ = write!(
        out,
        "</wsdl:message>\n\
         <wsdl:message name=\"{code}\"><wsdl:part name=\"body\" element=\"tns:{code}\"/></wsdl:message>\n\
         <wsdl:message name=\"{code}Response\"><wsdl:part name=\"body\" element=\"tns:{code}Response\"/></wsdl:message>\n"
    );
}

fn binding(out: &mut String, trembita: &TrembitaService) {
    let (code, name) = (&trembita.service, &trembita.subsystem);
    let _ = write!(
        out,
        "<wsdl:binding name=\"{name}Binding\" type=\"tns:{name}PortType\">\
         <soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>\
         <wsdl:operation name=\"{code}\"><soap:operation soapAction=\"\" style=\"document\"/>"
    );
    if let Some(version) = &trembita.version {
        let _ = write!(out, "<xrd:version>{}</xrd:version>", escape(version));
    }
    for direction in ["input", "output"] {
        let _ = write!(out, "<wsdl:{direction}><soap:body use=\"literal\"/>");
        for part in HEADER_PARTS {
            let _ = write!(
                out,
                "<soap:header message=\"tns:requestheader\" part=\"{part}\" use=\"literal\"/>"
            );
        }
        let _ = write!(out, "</wsdl:{direction}>");
    }
    out.push_str("</wsdl:operation></wsdl:binding>\n");
}

/// The elements of an object's fields: those its shape lets through, required as its schema
/// (when inline) says.
fn fields(out: &mut String, schema: Option<&Value>, shape: &Shape, depth: usize) {
    let Shape::Object(fields) = shape else {
        out.push_str("<xs:any minOccurs=\"0\" maxOccurs=\"unbounded\" processContents=\"lax\"/>\n");
        return;
    };
    let required = (schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array))
    .cloned();
    for (field, shape) in fields {
        let sub = schema
            .and_then(|s| s.get("properties"))
            .and_then(|p| p.get(field));
        let is_required = (required.iter().flatten()).any(|r| r.as_str() == Some(field.as_str()));
        element(out, field, sub, shape, is_required, depth + 1);
    }
}

/// One element: repeated for an array, a sequence for an object, else a leaf typed from the
/// schema where it says so inline.
fn element(
    out: &mut String,
    name: &str,
    schema: Option<&Value>,
    shape: &Shape,
    required: bool,
    depth: usize,
) {
    let min = if required { "1" } else { "0" };
    let (schema, shape, max) = match shape {
        Shape::Array(item) => (
            schema.and_then(|s| s.get("items")),
            item.as_ref(),
            "unbounded",
        ),
        other => (schema, other, "1"),
    };
    let open = format!(
        "<xs:element name=\"{}\" minOccurs=\"{min}\" maxOccurs=\"{max}\"",
        escape(name)
    );
    if matches!(shape, Shape::Object(_)) && depth < DEPTH {
        let _ = writeln!(out, "{open}><xs:complexType><xs:sequence>");
        fields(out, schema, shape, depth);
        out.push_str("</xs:sequence></xs:complexType></xs:element>\n");
    } else {
        let _ = writeln!(out, "{open} type=\"{}\"/>", leaf_type(schema, shape));
    }
}

/// The XML Schema type of a leaf, from its shape or its JSON schema.
fn leaf_type(schema: Option<&Value>, shape: &Shape) -> &'static str {
    let kind = match shape {
        Shape::Object(_) => return "xs:anyType",
        Shape::Leaf(Leaf::Integer) => Some("integer"),
        Shape::Leaf(Leaf::Number) => Some("number"),
        Shape::Leaf(Leaf::Boolean) => Some("boolean"),
        _ => schema.and_then(|s| s.get("type")).and_then(Value::as_str),
    };
    let format = schema.and_then(|s| s.get("format")).and_then(Value::as_str);
    match (kind, format) {
        (Some("integer"), _) => "xs:integer",
        (Some("number"), _) => "xs:decimal",
        (Some("boolean"), _) => "xs:boolean",
        (Some("object"), _) => "xs:anyType",
        (_, Some("date")) => "xs:date",
        (_, Some("date-time")) => "xs:dateTime",
        _ => "xs:string",
    }
}

/// Text escaped for an XML attribute or element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
