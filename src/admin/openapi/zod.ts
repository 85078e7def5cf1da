// zod with `.openapi()` (names, descriptions, examples): imported by every file of this folder
// before it defines a schema, so the extension is in place whatever imports the folder first.
// Schemas the routes validate with are plain zod; the generator reads them as they are.

import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };
