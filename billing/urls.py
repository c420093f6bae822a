from django.urls import path

from . import payment_views, statement_views, views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<uuid:invoice_id>/", views.InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<uuid:invoice_id>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("payments/", views.PaymentListView.as_view(), name="payments"),
    path("instalments/", views.InstalmentListView.as_view(), name="instalments"),
    path("pay/", payment_views.PayView.as_view(), name="pay"),
    path(
        "pay/<uuid:online_payment_id>/",
        payment_views.OnlinePaymentView.as_view(),
        name="online_payment",
    ),
    path("statement/", statement_views.StatementView.as_view(), name="statement"),
    path(
        "statement/pdf/",
        statement_views.StatementFileView.as_view(file_format="pdf"),
        name="statement_pdf",
    ),
    path(
        "statement/csv/",
        statement_views.StatementFileView.as_view(file_format="csv"),
        name="statement_csv",
    ),
]
