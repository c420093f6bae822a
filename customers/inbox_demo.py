"""Demo messages: one to every customer, one to the household with a PDF attached."""

from django.core.files.base import ContentFile

from .inbox_services import send_message
from .models import Customer, InboxMessage, MessageAttachment


def seed_demo_inbox(context) -> None:
    if InboxMessage.objects.exists():
        return
    everyone = InboxMessage.objects.create(
        subject="Nowy portal klienta",
        body=(
            "<p>Witamy w nowym portalu klienta. Znajdziesz tu faktury, odczyty, zgłoszenia "
            "i wiadomości od nas — o każdej porze.</p>"
        ),
        audience=InboxMessage.Audience.EVERYONE,
    )
    send_message(everyone)
    household = Customer.objects.get(number="100001")
    personal = InboxMessage(
        subject="Zmiana taryfy od 1 stycznia",
        body=(
            "<p>Informujemy, że od 1 stycznia obowiązuje nowy cennik. "
            "Szczegóły w załączniku i na stronie <b>Cenniki</b>.</p>"
        ),
        audience=InboxMessage.Audience.CUSTOMERS,
    )
    personal.save()
    personal.customers.set([household])
    personal.save()
    attachment = MessageAttachment(message=personal, name="informacja-o-cenniku.pdf")
    attachment.content_type = "application/pdf"
    attachment.file.save("informacja.pdf", ContentFile(_letter_pdf()), save=False)
    attachment.save()
    send_message(personal)
    context.notes.append("Inbox: a message to every customer and one with a PDF to 100001.")


def _letter_pdf() -> bytes:
    from documents.pdf import issuing_company, paragraph, render_document
    from documents.pdf.styles import get_styles

    styles = get_styles()
    story = [
        paragraph("Informacja o zmianie cennika", styles.heading),
        paragraph("Od 1 stycznia obowiązuje nowy cennik energii elektrycznej.", styles.body),
    ]
    return render_document(issuing_company(), story, title="Informacja o zmianie cennika")
