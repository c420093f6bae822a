"""Where files that must never have a public URL are kept (letters with codes, invoices,
contracts): the `private` storage of settings.STORAGES, served only by checked views."""


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]
