//! Ukraine's regions as the simulated registries name their offices by them: the civil
//! registry office and the Ministry of Justice interregional department it belongs to, the
//! regional recruitment centre (ТЦК та СП), the Pension Fund's and the Tax Service's main
//! departments. A region is found from an address's `region` («Львівська область», «м. Київ»)
//! or from a place named after its centre («м. Львів»).
//!
//! The interregional departments are those of the Ministry of Justice after the reform that
//! ended on 31 December 2025 (Київське, Львівське, Івано-Франківське, Хмельницьке, Сумське,
//! Харківське, Дніпровське, Одеське); see the sources in the domain notes.

/// One region and the names its offices take.
#[derive(Debug)]
pub(super) struct Region {
    /// Lowercase stems that name it in an address or a place («львів»).
    stems: &'static [&'static str],
    /// The region after a preposition: «Львівській області», «м. Києві».
    pub locative: &'static str,
    /// Its recruitment centre's adjective: «Львівський обласний».
    pub recruitment: &'static str,
    /// Its Ministry of Justice interregional department, genitive: «Львівського».
    pub justice: &'static str,
    /// Where its civil registry office sits, after a preposition: «місті Львові».
    pub registry_seat: &'static str,
}

const fn region(
    stems: &'static [&'static str],
    locative: &'static str,
    recruitment: &'static str,
    justice: &'static str,
    registry_seat: &'static str,
) -> Region {
    Region {
        stems,
        locative,
        recruitment,
        justice,
        registry_seat,
    }
}

/// Every region; Kyiv city last, since «київ» is also the stem of Kyiv oblast.
static REGIONS: [Region; 27] = [
    region(
        &["вінниц"],
        "Вінницькій області",
        "Вінницький обласний",
        "Хмельницького",
        "місті Вінниці",
    ),
    region(
        &["волин", "луцьк"],
        "Волинській області",
        "Волинський обласний",
        "Львівського",
        "місті Луцьку",
    ),
    region(
        &["дніпро"],
        "Дніпропетровській області",
        "Дніпропетровський обласний",
        "Дніпровського",
        "місті Дніпрі",
    ),
    region(
        &["донець", "краматорськ"],
        "Донецькій області",
        "Донецький обласний",
        "Харківського",
        "місті Краматорську",
    ),
    region(
        &["житомир"],
        "Житомирській області",
        "Житомирський обласний",
        "Хмельницького",
        "місті Житомирі",
    ),
    region(
        &["закарпат", "ужгород"],
        "Закарпатській області",
        "Закарпатський обласний",
        "Івано-Франківського",
        "місті Ужгороді",
    ),
    region(
        &["запоріз", "запоріжж"],
        "Запорізькій області",
        "Запорізький обласний",
        "Дніпровського",
        "місті Запоріжжі",
    ),
    region(
        &["франків"],
        "Івано-Франківській області",
        "Івано-Франківський обласний",
        "Івано-Франківського",
        "місті Івано-Франківську",
    ),
    region(
        &["київськ", "київщин"],
        "Київській області",
        "Київський обласний",
        "Київського",
        "місті Білій Церкві",
    ),
    region(
        &["кіровоград", "кропивницьк"],
        "Кіровоградській області",
        "Кіровоградський обласний",
        "Дніпровського",
        "місті Кропивницькому",
    ),
    region(
        &["луганськ"],
        "Луганській області",
        "Луганський обласний",
        "Харківського",
        "Луганській області",
    ),
    region(
        &["львів"],
        "Львівській області",
        "Львівський обласний",
        "Львівського",
        "місті Львові",
    ),
    region(
        &["миколаїв"],
        "Миколаївській області",
        "Миколаївський обласний",
        "Одеського",
        "місті Миколаєві",
    ),
    region(
        &["одес"],
        "Одеській області",
        "Одеський обласний",
        "Одеського",
        "місті Одесі",
    ),
    region(
        &["полтав"],
        "Полтавській області",
        "Полтавський обласний",
        "Сумського",
        "місті Полтаві",
    ),
    region(
        &["рівне", "рівно"],
        "Рівненській області",
        "Рівненський обласний",
        "Львівського",
        "місті Рівному",
    ),
    region(
        &["сумськ", "суми"],
        "Сумській області",
        "Сумський обласний",
        "Сумського",
        "місті Сумах",
    ),
    region(
        &["тернопіл"],
        "Тернопільській області",
        "Тернопільський обласний",
        "Івано-Франківського",
        "місті Тернополі",
    ),
    region(
        &["харків"],
        "Харківській області",
        "Харківський обласний",
        "Харківського",
        "місті Харкові",
    ),
    region(
        &["херсон"],
        "Херсонській області",
        "Херсонський обласний",
        "Одеського",
        "місті Херсоні",
    ),
    region(
        &["хмельниц"],
        "Хмельницькій області",
        "Хмельницький обласний",
        "Хмельницького",
        "місті Хмельницькому",
    ),
    region(
        &["черкас"],
        "Черкаській області",
        "Черкаський обласний",
        "Київського",
        "місті Черкасах",
    ),
    region(
        &["чернівец", "чернівці"],
        "Чернівецькій області",
        "Чернівецький обласний",
        "Івано-Франківського",
        "місті Чернівцях",
    ),
    region(
        &["чернігів"],
        "Чернігівській області",
        "Чернігівський обласний",
        "Сумського",
        "місті Чернігові",
    ),
    region(
        &["крим"],
        "Автономній Республіці Крим",
        "Кримський республіканський",
        "Одеського",
        "Автономній Республіці Крим",
    ),
    region(
        &["севастопол"],
        "м. Севастополі",
        "Севастопольський міський",
        "Одеського",
        "місті Севастополі",
    ),
    region(
        &["київ"],
        "м. Києві",
        "Київський міський",
        "Київського",
        "місті Києві",
    ),
];

/// The region `place` names, if any.
pub(super) fn find(place: &str) -> Option<&'static Region> {
    let place = place.to_lowercase();
    REGIONS
        .iter()
        .find(|r| r.stems.iter().any(|stem| place.contains(stem)))
}

impl Region {
    /// «Відділ державної реєстрації актів цивільного стану в місті Львові Львівського
    /// міжрегіонального управління Міністерства юстиції».
    pub fn civil_registry_office(&self) -> String {
        let office = "Відділ державної реєстрації актів цивільного стану";
        format!(
            "{office} {} {} {} міжрегіонального управління Міністерства юстиції",
            preposition(office, self.registry_seat),
            self.registry_seat,
            self.justice
        )
    }

    /// «Львівський обласний територіальний центр комплектування та соціальної підтримки».
    pub fn recruitment_centre(&self) -> String {
        format!(
            "{} територіальний центр комплектування та соціальної підтримки",
            self.recruitment
        )
    }

    /// «Головне управління Пенсійного фонду України у Львівській області».
    pub fn pension_fund(&self) -> String {
        self.main_department("Головне управління Пенсійного фонду України")
    }

    /// «Головне управління ДПС у Львівській області».
    pub fn tax_service(&self) -> String {
        self.main_department("Головне управління ДПС")
    }

    fn main_department(&self, body: &str) -> String {
        let at = preposition(body, self.locative);
        format!("{body} {at} {}", self.locative)
    }
}

/// «у» or «в» between `before` and `after`, as Ukrainian euphony has it: «в» before a vowel,
/// «у» before в, ф, льв-, хв-; otherwise «в» after a vowel and «у» after a consonant.
fn preposition(before: &str, after: &str) -> &'static str {
    let vowels = "аеєиіїоуюяАЕЄИІЇОУЮЯ";
    let next = after.chars().next().unwrap_or(' ');
    let lower = after.to_lowercase();
    if vowels.contains(next) {
        "в"
    } else if ["в", "ф", "льв", "хв"].iter().any(|p| lower.starts_with(p)) {
        "у"
    } else if before.chars().last().is_some_and(|c| vowels.contains(c)) {
        "в"
    } else {
        "у"
    }
}
