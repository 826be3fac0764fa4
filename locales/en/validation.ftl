# Messages about errors in an application's data. The id is the kind of error
# (`form::Message`); `format-<name>` is one per JSON Schema format, `format-other` the rest.

required-field = Required field
wrong-type = Wrong type of value
empty = The field cannot be empty
too-short = At least { $min } { $min ->
        [one] character
       *[other] characters
    }
too-long = At most { $max } { $max ->
        [one] character
       *[other] characters
    }
pattern = The value does not have the expected format
one-of = Allowed values: { $options }
constant = Expected value { $expected }
unknown-field = Unknown field
minimum = The value must be at least { $limit }
maximum = The value must be at most { $limit }
too-few-items = At least { $min } { $min ->
        [one] item
       *[other] items
    } needed
too-many-items = At most { $max } { $max ->
        [one] item
       *[other] items
    }
invalid = Invalid value

format-rnokpp = The RNOKPP has 10 digits with a correct check digit
format-unzr = The UNZR is YYYYMMDD-NNNNN with a correct check digit
format-past-date = The date cannot be later than today
format-date = Enter a valid date
format-adult-birth-date = The applicant must be an adult (18 or older)
format-age-14-birth-date = One applies in one's own name from the age of 14; for a younger child a parent or another legal representative applies
format-age-16-birth-date = One can register as a sole proprietor from the age of 16 (until 18 with the consent of the parents, the custodian or the guardianship authority, or with full civil capacity)
format-minor-birth-date = The date of birth of a minor (younger than 18)
format-birth-within-12-months = The birth assistance is granted when it is claimed within 12 months of the child's birth
format-iban-ua = The IBAN starts with UA and has 29 characters with correct check digits
format-id-card = An ID card number has 9 digits
format-passport-ua-old = Passport series: two Ukrainian letters, number: 6 digits (for example КВ123456)
format-phone-ua = The phone number is +380XXXXXXXXX
format-kved = A KVED code is NN.NN (for example 62.01)
format-kved-single-tax-group-1 = Single-tax group 1 does not allow this activity: only retail sale from market places and household services to the population (Tax Code, 291.4)
format-kved-single-tax-group-2 = Single-tax group 2 does not allow this activity: real-estate intermediaries and jewellery belong to group 3 (Tax Code, 291.4)
format-name-ua = Only letters of the Ukrainian alphabet; an apostrophe, a hyphen or a space only between letters
format-name-latin-or-ua = Letters of the Ukrainian alphabet or, for a foreign citizen, Latin letters as in their passport; an apostrophe, a hyphen or a space only between letters
format-email = Invalid e-mail address
format-other = Invalid format

# What a page could not read from what was typed.
date-shape = Enter the date as DD.MM.YYYY, for example 19.11.2026
no-such-date = There is no such date: { $typed }. Check the day and the month
not-a-number = Enter a number, for example 2500000
not-a-whole-number = Enter a whole number

# The application as a whole.
nothing-applies = No service applies to this application: { $reasons }
