from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_tag")]
    operations = [
        migrations.AddField(model_name="customer", name="note", field=models.TextField(default="", blank=True)),
    ]
