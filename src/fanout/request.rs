//! Building a registry request from the application data and the outputs of earlier services.

use super::PrepareError;
use crate::bundle::{Service, Step};
use crate::store::SubRequestRecord;
use serde_json::{Map, Value};

/// The body sent to a service's registry: the fields of its form that the applicant gave, plus
/// every bound input taken from the outputs of the services it depends on.
pub fn build_request(
    service: &Service,
    step: &Step,
    data: &Value,
    siblings: &[SubRequestRecord],
) -> Result<Value, PrepareError> {
    let mut request = Map::new();
    for name in service.input.properties.keys() {
        if let Some(value) = data.get(name) {
            request.insert(name.clone(), value.clone());
        }
    }
    for binding in &step.bindings {
        let value = siblings
            .iter()
            .find(|s| s.service_id == binding.from.0)
            .and_then(|s| s.outputs.as_ref())
            .and_then(|outputs| outputs.get(&binding.output))
            .ok_or_else(|| PrepareError::Unbound {
                input: binding.input.clone(),
                from: binding.from.0.clone(),
                output: binding.output.clone(),
            })?;
        request.insert(binding.input.clone(), value.clone());
    }
    Ok(Value::Object(request))
}
