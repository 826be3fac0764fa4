//! Building a registry request from the application data and the outputs of earlier services.

use super::PrepareError;
use crate::bundle::{Service, Step};
use crate::store::SubRequestRecord;
use serde_json::{Map, Value};

/// The body sent to a service's registry for one item: the fields of its form that the
/// applicant gave — only those its form declares, nested fields included (`form::Shape`) —, the
/// item itself for a repeated service, and every bound input taken from the outputs of the
/// services it depends on (the same item's, between services repeated together).
pub fn build_request(
    service: &Service,
    step: &Step,
    item: i64,
    data: &Value,
    siblings: &[SubRequestRecord],
) -> Result<Value, PrepareError> {
    let mut request = Map::new();
    for (name, shape) in &service.input.shapes {
        if let Some(value) = data.get(name) {
            request.insert(name.clone(), shape.project(value));
        }
    }
    if let Some(repeat) = &step.repeat {
        let index = usize::try_from(item).unwrap_or(usize::MAX);
        let value = data
            .get(&repeat.items)
            .and_then(|items| items.get(index))
            .ok_or_else(|| PrepareError::MissingItem {
                items: repeat.items.clone(),
                item,
            })?;
        let shape = service.input.shapes.get(&repeat.as_input);
        let value = shape.map_or_else(|| value.clone(), |s| s.project(value));
        request.insert(repeat.as_input.clone(), value);
    }
    for binding in &step.bindings {
        let from_item = |s: &&SubRequestRecord| match &step.repeat {
            Some(_) => {
                s.item == item
                    || siblings
                        .iter()
                        .filter(|x| x.service_id == s.service_id)
                        .count()
                        == 1
            }
            None => true,
        };
        let value = siblings
            .iter()
            .filter(from_item)
            .find(|s| s.service_id == binding.from.as_str())
            .and_then(|s| s.outputs.as_ref())
            .and_then(|outputs| outputs.get(&binding.output))
            .ok_or_else(|| PrepareError::Unbound {
                input: binding.input.clone(),
                from: binding.from.to_string(),
                output: binding.output.clone(),
            })?;
        request.insert(binding.input.clone(), value.clone());
    }
    Ok(Value::Object(request))
}
