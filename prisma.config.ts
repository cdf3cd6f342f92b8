// Prisma CLI configuration. Only `prisma generate` is used: migrations are applied by our own runner
// (src/tenancy/migrations.ts), because Prisma Migrate's native engine cannot be downloaded here.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
});
