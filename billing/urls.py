from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<uuid:invoice_id>/", views.InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<uuid:invoice_id>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("payments/", views.PaymentListView.as_view(), name="payments"),
]
