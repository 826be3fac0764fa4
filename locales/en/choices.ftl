# Labels of the choice values the forms use (`female` → "Female").

choice-female = Female
choice-male = Male
choice-mother = Mother
choice-father = Father
choice-box = Baby box
choice-compensation = Cash compensation
choice-marriage = Marriage
choice-joint-application = Parents' joint application
choice-mother-statement = Mother's statement
choice-id-card = ID card
choice-passport = Old-style passport (booklet)
choice-simplified = Simplified (single tax)
choice-general = General regime
choice-pension = Pension
choice-child-benefit = Child benefit
choice-housing-subsidy = Housing subsidy
choice-disability = Disability benefit
