# Незмінні написи квитанції (PDF): назви стовпців і полів, стани, примітка внизу.

receipt-label_application = Номер заяви
receipt-label_submitted = Дата подання
receipt-label_state = Стан на
receipt-kyiv = за Києвом
receipt-label_applicant = Заявник
receipt-label_event = Життєва подія
receipt-services_heading = Послуги у пакеті
receipt-no_services = Послуг у пакеті немає
receipt-next_heading = Що далі
receipt-col_number = №
receipt-col_service = Послуга
receipt-col_authority = Орган
receipt-col_status = Статус
receipt-code = код
receipt-status_succeeded = Виконано
receipt-status_in_progress = В обробці
receipt-status_failed = Помилка
receipt-status_blocked = Заблоковано
receipt-verify_heading = Перевірити квитанцію
receipt-verify_note = Квитанцію сформовано автоматично. Актуальний стан кожної послуги та коди перевірки можна звірити за QR-кодом або за посиланням.
receipt-page = Сторінка { $page } з { $pages }
