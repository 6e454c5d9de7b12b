from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_orders")]
    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("label", models.CharField(max_length=50)),
            ],
        ),
    ]
