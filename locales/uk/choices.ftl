# Назви значень вибору, які вживають форми (`female` → «Жіноча»).

choice-female = Жіноча
choice-male = Чоловіча
choice-mother = Мати
choice-father = Батько
choice-box = Пакунок малюка
choice-compensation = Грошова компенсація
choice-marriage = Шлюб
choice-joint-application = Спільна заява батьків
choice-mother-statement = Заява матері
choice-id-card = ID-картка
choice-passport = Паспорт старого зразка (книжечка)
choice-simplified = Спрощена система (єдиний податок)
choice-general = Загальна система
choice-pension = Пенсія
choice-child-benefit = Допомога на дітей
choice-housing-subsidy = Житлова субсидія
choice-disability = Допомога з інвалідності
